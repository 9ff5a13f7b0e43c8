using System.Globalization;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Parquet;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Engine.Tests.Writing;

/// <summary>An in-memory DuckDB, a writer on it and a temp directory for tables; reads tables back through the Delta reader.</summary>
public sealed class WriterFixture : IDisposable
{
    private readonly DuckDbDatabase _database;

    public WriterFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "medallion-write-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        _database = DuckDbDatabase.Open();
        Connection = _database.CreateConnection();
        Writer = new DeltaWriter(Connection);
    }

    public string Root { get; }

    public DuckDbConnection Connection { get; }

    public DeltaWriter Writer { get; }

    /// <summary>Another connection to the same database, for what a step of its own does; the caller closes it.</summary>
    public DuckDbConnection OpenConnection() => _database.CreateConnection();

    public string TablePath(string name = "t") => Path.Combine(Root, name);

    /// <summary>The table at a path or URI (s3://, az:// on the test servers).</summary>
    public DeltaTable Open(string path, StorageResolver? stores = null) => (stores ?? StorageResolver.Default).OpenTable(path, new DuckDbParquetHandler(Connection));

    public Task<Snapshot> SnapshotAsync(string path, long? version = null) => Open(path).GetSnapshotAsync(version);

    /// <summary>The table's rows at a version, each rendered as "a|b|c" (null as ∅), sorted.</summary>
    public async Task<List<string>> ReadAsync(string path, long? version = null, string columns = "*")
    {
        DeltaTable table = Open(path);
        Snapshot snapshot = await table.GetSnapshotAsync(version);
        // The read side's scan SQL, not the writer's own relation: what we write must read back through the reader.
        string relation = await DeltaScanSql.BuildAsync(table, snapshot);
        return Query($"SELECT {columns} FROM ({relation}) AS t");
    }

    public List<string> Query(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        using DuckDbDataReader reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new string[reader.FieldCount];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "∅";
            }

            rows.Add(string.Join("|", values));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    public string[] LogLines(string path, long version) =>
        System.Text.Encoding.UTF8.GetString(StorageResolver.Default.OpenStore(path).ReadAllAsync("_delta_log/" + version.ToString("D20", CultureInfo.InvariantCulture) + ".json").GetAwaiter().GetResult())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public void Dispose()
    {
        Connection.Dispose();
        _database.Dispose();
        try
        {
            if (Environment.GetEnvironmentVariable("MEDALLION_KEEP_TEST_TABLES") == "1")
            {
                return;
            }

            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
