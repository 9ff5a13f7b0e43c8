using Medallion.DuckDb;

namespace Medallion.Ingestion.Tests;

/// <summary>An in-memory DuckDB connection (in UTC) that collects what sources stream into it.</summary>
public sealed class DuckDbTarget : IDisposable
{
    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();

    public DuckDbTarget()
    {
        Connection = _database.CreateConnection();
        Execute("SET TimeZone = 'UTC'");
    }

    public DuckDbConnection Connection { get; }

    /// <summary>Reads every batch, copying each into table <paramref name="into"/> before asking for the next.</summary>
    public async Task<List<SourceBatch>> CollectAsync(IIngestionSource source, SourcePosition? after, string into = "collected")
    {
        var batches = new List<SourceBatch>();
        await foreach (SourceBatch batch in source.ReadAsync(Connection, after))
        {
            Execute(batches.Count == 0 && !TableExists(into)
                ? $"CREATE TABLE {into} AS SELECT * FROM {batch.Relation}"
                : $"INSERT INTO {into} SELECT * FROM {batch.Relation}");
            batches.Add(batch);
        }

        return batches;
    }

    public void Execute(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public object? Scalar(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public List<T> Column<T>(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        using DuckDbDataReader reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    public bool TableExists(string name) =>
        Convert.ToInt64(Scalar($"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{name}'")) > 0;

    public void Dispose()
    {
        Connection.Dispose();
        _database.Dispose();
    }
}
