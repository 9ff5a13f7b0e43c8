using System.Globalization;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>
/// A project on disk with local storage, whose bronze tables the test writes with <see cref="DeltaWriter"/>,
/// run through the public <see cref="ProjectRunner"/> and read back through a lakehouse session.
/// </summary>
public sealed class RunProject : IDisposable
{
    private readonly TestProject _files = new("name: shop\nstorage: lake\n");
    private readonly DuckDbConnection _connection = new();

    public RunProject(params string[] sources)
    {
        _connection.Open();
        if (sources.Length > 0)
        {
            _files.WithSources(sources);
        }
    }

    public string Directory => _files.Directory;

    public string Location(string table) => Path.Combine(Directory, "lake", table.Split('.')[0], table.Split('.')[1]);

    public RunProject Model(string table, string sql, string? config = null)
    {
        string[] parts = table.Split('.');
        string block = config is null ? string.Empty : $"/* ---\n{config}\n--- */\n";
        _files.Write($"models/{parts[0]}/{parts[1]}.sql", block + sql);
        return this;
    }

    public RunProject File(string relativePath, string text)
    {
        _files.Write(relativePath, text);
        return this;
    }

    /// <summary>Appends rows to a bronze table (creating it): one commit.</summary>
    public async Task<long> AppendAsync(string table, string rowsSql, IReadOnlyDictionary<string, string>? properties = null)
    {
        DeltaOperationResult result = await new DeltaWriter(_connection).WriteAsync(
            Location(table), rowsSql, new DeltaWriteOptions { MergeSchema = true, Properties = properties ?? new Dictionary<string, string>() });
        return result.Version;
    }

    public async Task<long> OverwriteAsync(string table, string rowsSql) =>
        (await new DeltaWriter(_connection).WriteAsync(Location(table), rowsSql, new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite })).Version;

    public async Task<long> DeleteAsync(string table, string predicate) =>
        (await new DeltaWriter(_connection).DeleteAsync(Location(table), predicate)).Version;

    public async Task<RunResult> RunAsync(RunOptions? options = null, CancellationToken cancellationToken = default) =>
        await ProjectRunner.RunAsync(await _files.LoadAsync(), options, cancellationToken);

    /// <summary>The rows of a query over the lakehouse, each formatted as "a|b|c", in the query's order.</summary>
    public Task<List<string>> QueryAsync(string sql) => QueryAsync(sql, new DirectoryTableLocator(Path.Combine(Directory, "lake")));

    /// <summary>The rows of a query over the tables <paramref name="tables"/> finds, each formatted as "a|b|c", in the query's order.</summary>
    public async Task<List<string>> QueryAsync(string sql, ITableLocator tables)
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(tables);
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    public async Task<long> VersionAsync(string table) => (await SnapshotAsync(table)).Version;

    /// <summary>
    /// Runs as a server that no longer holds the run (another took it): its fence refuses every commit, as a scheduler's
    /// does. Returns the step of <paramref name="table"/>, with the table's snapshots before and after the run.
    /// </summary>
    public async Task<RefusedRun> RunRefusedAsync(TableName table, RunOptions? options = null)
    {
        Delta.Snapshots.Snapshot before = await SnapshotAsync(table.ToString());
        RunResult run = await RunAsync((options ?? new RunOptions()) with
        {
            CommitFence = _ => throw new MedallionException(ErrorCode.RunNoLongerHeld, "This server no longer holds its runs."),
        });
        return new RefusedRun(run[table], before, await SnapshotAsync(table.ToString()));
    }

    public async Task<Delta.Snapshots.Snapshot> SnapshotAsync(string table) =>
        await new Delta.DeltaTable(new Storage.LocalObjectStore(Location(table))).GetSnapshotAsync();

    /// <summary>A run whose fence refused its commits (<see cref="RunRefusedAsync"/>): one table's step, and the table before and after.</summary>
    public sealed record RefusedRun(StepResult Step, Delta.Snapshots.Snapshot Before, Delta.Snapshots.Snapshot After)
    {
        /// <summary>
        /// The step failed with <see cref="ErrorCode.RunNoLongerHeld"/> and left its table as it was: the same version, and
        /// the same metadata domains, where sources keep their positions and loaded files.
        /// </summary>
        public void AssertTableLeftAsItWas()
        {
            Assert.Equal((StepState.Failed, ErrorCode.RunNoLongerHeld), (Step.State, Step.ErrorCode));
            Assert.Equal(Before.Version, After.Version);
            Assert.Equal(Before.DomainMetadata, After.DomainMetadata);
        }
    }

    public Task<CatalogStore> OpenCatalogAsync() => CatalogStore.OpenAsync(CatalogStore.DefaultPath(Directory));

    public void Dispose()
    {
        _connection.Dispose();
        _files.Dispose();
    }
}
