using System.Globalization;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;

namespace Medallion.Spark.Tests;

/// <summary>
/// The quickstart project (<c>medallion init</c>'s files) in a temporary folder, with a <c>spark_connect</c> connection
/// to a test server, models added or reconfigured by the test, run through the public runner and read back through a
/// lakehouse session.
/// </summary>
public sealed class SparkProject : IDisposable
{
    private SparkProject(string directory) => Directory = directory;

    public string Directory { get; }

    public string Lake => Path.Combine(Directory, "warehouse");

    /// <summary>The quickstart, with a connection named <c>cluster</c> to <paramref name="remote"/> when given.</summary>
    public static async Task<SparkProject> CreateAsync(string? remote)
    {
        var project = new SparkProject(Path.Combine(Path.GetTempPath(), "medallion-spark-" + Guid.NewGuid().ToString("N")));
        await ProjectTemplate.CreateAsync(project.Directory, "shop");
        if (remote is not null)
        {
            File.AppendAllText(Path.Combine(project.Directory, "medallion.yml"), $"connections:\n  cluster:\n    type: spark_connect\n    remote: {remote}\n");
        }

        return project;
    }

    /// <summary>Writes <c>models/&lt;ns&gt;/&lt;name&gt;.sql</c> with its config block.</summary>
    public SparkProject Model(string table, string config, string sql)
    {
        string[] parts = table.Split('.');
        return Write($"models/{parts[0]}/{parts[1]}.sql", $"/* ---\n{config}\n--- */\n{sql}\n");
    }

    /// <summary>Adds <c>engine: spark</c> to the config of a model of the quickstart.</summary>
    public SparkProject OnSpark(string table)
    {
        string[] parts = table.Split('.');
        string path = Path.Combine(Directory, "models", parts[0], parts[1] + ".sql");
        File.WriteAllText(path, File.ReadAllText(path).Replace("/* ---\n", "/* ---\nengine: spark\n", StringComparison.Ordinal));
        return this;
    }

    public SparkProject Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public async Task<RunResult> RunAsync(RunOptions? options = null, CancellationToken cancellationToken = default) =>
        await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(Directory, _ => null, cancellationToken), options, cancellationToken);

    /// <summary>The rows of a query over the lake, each formatted as "a|b|c", in the query's order.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(Lake));
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    /// <summary>The table's newest Delta version.</summary>
    public async Task<long> VersionAsync(string table) =>
        (await new Delta.DeltaTable(new Storage.LocalObjectStore(Location(table))).GetSnapshotAsync()).Version;

    public string Location(string table) => Path.Combine(Lake, table.Split('.')[0], table.Split('.')[1]);

    /// <summary>The versions the catalog records of a table, oldest first, with their operations.</summary>
    public async Task<List<string>> CatalogVersionsAsync(string table)
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(Directory));
        List<TableVersionRecord> history = await catalog.Tables.GetTableHistoryAsync(TableName.Parse(table));
        return [.. history.OrderBy(v => v.Version).Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Version}:{v.Operation}"))];
    }

    public void Dispose() => TempDirectory.Delete(Directory);
}
