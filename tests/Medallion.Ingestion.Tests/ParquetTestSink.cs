using System.Collections.Concurrent;

namespace Medallion.Ingestion.Tests;

/// <summary>
/// The bronze writer's shape, without Delta: each batch becomes a Parquet file through DuckDB, and a commit
/// records the file and the position (what the Delta <c>txn</c> will hold). Full loads commit at completion.
/// </summary>
public sealed class ParquetTestSink(DuckDbTarget target) : IBatchSink, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-sink-").FullName;
    private readonly ConcurrentDictionary<string, SourcePosition> _positions = new();
    private readonly List<(string File, long Rows)> _staged = [];

    public List<(string File, long Rows, string Position)> Commits { get; } = [];

    public Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(_positions.TryGetValue(sourceKey, out SourcePosition? position) ? position : null);

    public Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default)
    {
        string file = Path.Combine(_directory, $"part-{Commits.Count + _staged.Count:D5}.parquet");
        using DuckDb.DuckDbCommand command = target.Connection.CreateCommand();
        command.CommandText = $"COPY (SELECT * FROM {batch.Relation}) TO '{file}' (FORMAT parquet, RETURN_STATS)";
        using DuckDb.DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        long rows = Convert.ToInt64(reader.GetValue(reader.GetOrdinal("count")));
        _staged.Add((file, rows));
        if (batch.IsCommitPoint)
        {
            Commit(sourceKey, batch.Position);
        }

        return Task.CompletedTask;
    }

    public Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default)
    {
        if (_staged.Count > 0 && position is not null)
        {
            Commit(sourceKey, position);
        }

        return Task.CompletedTask;
    }

    private void Commit(string sourceKey, SourcePosition position)
    {
        foreach ((string file, long rows) in _staged)
        {
            Commits.Add((file, rows, position.ToJson()));
        }

        _staged.Clear();
        _positions[sourceKey] = position;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
