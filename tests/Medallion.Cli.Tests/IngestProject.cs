using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary>A project folder whose one database source reads a table of a test database (PostgreSQL or MariaDB).</summary>
internal sealed class IngestProject : IDisposable
{
    public IngestProject(PostgresDatabase database, string table, string tableSettings)
        : this("postgres", database.Builder.Host!, database.Builder.Port, database.Builder.Database!, database.Builder.Username!, database.Builder.Password!, table, tableSettings)
    {
    }

    public IngestProject(MySqlDatabase database, string table, string tableSettings)
        : this(new MySql.Data.MySqlClient.MySqlConnectionStringBuilder(database.ConnectionString), table, tableSettings)
    {
    }

    private IngestProject(MySql.Data.MySqlClient.MySqlConnectionStringBuilder server, string table, string tableSettings)
        : this("mysql", server.Server, (int)server.Port, server.Database, server.UserID, server.Password, table, tableSettings)
    {
    }

    private IngestProject(string type, string host, int port, string database, string user, string password, string table, string tableSettings)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("medallion-ingest-").FullName;
        File.WriteAllText(Path.Combine(Directory, "medallion.yml"), $"""
            name: ingest_test
            connections:
              shop_db:
                type: {type}
                host: {host}
                port: {port}
                database: {database}
                user: {user}
                password: {password}
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
