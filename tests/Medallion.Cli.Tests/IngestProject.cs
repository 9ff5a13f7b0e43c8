using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary>A project folder whose one database source reads <paramref name="table"/> of the test database.</summary>
internal sealed class IngestProject : IDisposable
{
    public IngestProject(PostgresDatabase database, string table, string tableSettings)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("medallion-ingest-").FullName;
        var server = database.Builder;
        File.WriteAllText(Path.Combine(Directory, "medallion.yml"), $"""
            name: ingest_test
            connections:
              shop_db:
                type: postgres
                host: {server.Host}
                port: {server.Port}
                database: {server.Database}
                user: {server.Username}
                password: {server.Password}
            """);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "sources"));
        File.WriteAllText(Path.Combine(Directory, "sources", "shop.yml"), $"""
            sources:
              - name: shop
                connection: shop_db
                tables:
                  - table: {table}
            {tableSettings}
            """);
    }

    public string Directory { get; }

    /// <summary>The rows of a query over the project's tables, as CSV lines without the header.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        Cli.Result result = await Cli.RunAsync("sql", sql, "--format", "csv", "--project", Directory);
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
