using System.Globalization;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// Real PostgreSQL clients against a served project: the JDBC driver, node-postgres, SQLAlchemy over psycopg2,
/// pgcli and the type loading of Npgsql 4.0. Their runtimes come from build/test-setup/pgwire-clients.sh; a missing
/// one fails the test.
/// </summary>
[Collection(LakehouseCollection.Name)]
public sealed class ClientTests(LakehouseFixture fixture)
{
    private const string NodeModulesDefault = "/var/tmp/medallion-test/node-pg/node_modules";
    private const string JdbcJar = "/usr/share/java/postgresql.jar";

    private static string ClientFile(string name) => Path.Combine(AppContext.BaseDirectory, "Clients", name);

    private string[] Connection => [fixture.Port.ToString(CultureInfo.InvariantCulture), LakehouseFixture.ProjectName, LakehouseFixture.User, LakehouseFixture.Password];

    [Fact]
    public async Task The_jdbc_driver_reads_metadata_and_runs_prepared_statements_past_the_prepare_threshold()
    {
        Assert.True(File.Exists(JdbcJar), $"{JdbcJar} is missing: install libpostgresql-jdbc-java (build/test-setup/pgwire-clients.sh).");
        string classes = Directory.CreateTempSubdirectory("medallion-jdbc-").FullName;
        try
        {
            ClientProcess.Result compiled = await ClientProcess.RunAsync("javac", ["-d", classes, ClientFile("JdbcProbe.java")]);
            Assert.True(compiled.ExitCode == 0, compiled.ToString());

            ClientProcess.Result run = await ClientProcess.RunAsync("java", ["-cp", classes + ":" + JdbcJar, "JdbcProbe", .. Connection]);

            Assert.True(run.ExitCode == 0, run.ToString());
            string[] expected =
            [
                "product PostgreSQL 15\n", "schema gold\n", "schema silver\n", "table gold.daily_revenue TABLE\n",
                "column day date 1\ncolumn region text 2\ncolumn revenue numeric 3\ncolumn orders int8 4\n",
                "primary key daily_revenue_pkey 1 day\nprimary key daily_revenue_pkey 2 region\n", "silver.orders primary key columns 0\n",
                .. Enumerable.Range(1, 5).Select(i => $"prepared {i} {i * 100} customer 99\n"),
                "version 0 2 1334.49\n",
            ];
            foreach (string line in expected)
            {
                Assert.True(run.Output.Contains(line, StringComparison.Ordinal), $"missing \"{line.TrimEnd()}\" in:\n{run}");
            }
        }
        finally
        {
            Directory.Delete(classes, recursive: true);
        }
    }

    [Fact]
    public async Task Node_postgres_runs_queries_with_parameters()
    {
        string modules = Environment.GetEnvironmentVariable("MEDALLION_NODE_PG") is { Length: > 0 } folder ? Path.Combine(folder, "node_modules") : NodeModulesDefault;
        Assert.True(Directory.Exists(Path.Combine(modules, "pg")), $"node-postgres is not installed in {modules}: run build/test-setup/pgwire-clients.sh.");

        ClientProcess.Result run = await ClientProcess.RunAsync("node", [ClientFile("node-probe.js"), .. Connection], new Dictionary<string, string> { ["NODE_PATH"] = modules });

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Output.Trim().Split('\n');
        Assert.Equal("[{\"n\":2,\"total\":\"3234.50\"}]", lines[0]);
        Assert.Equal("[{\"region\":\"north\"},{\"region\":\"south\"}]", lines[1]);
        Assert.StartsWith("[{\"id\":2,\"paid\":true,\"placed_at\":\"", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlalchemy_with_psycopg2_inspects_schemas_tables_columns_and_keys()
    {
        ClientProcess.Result run = await ClientProcess.RunAsync("/usr/bin/python3", [ClientFile("sqlalchemy_probe.py"), .. Connection]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(
            "schemas gold,silver\ntables daily_revenue\ncolumns day:DATE,region:TEXT,revenue:NUMERIC(18, 2),orders:BIGINT\npk daily_revenue_pkey ['day', 'region']\norders pk []\ncount 2\n",
            run.Output);
    }

    [Fact]
    public async Task Pgcli_connects_and_completes_the_table_names_of_a_schema()
    {
        ClientProcess.Result run = await ClientProcess.RunAsync("/usr/bin/python3", [ClientFile("pgcli_probe.py"), .. Connection], new Dictionary<string, string> { ["HOME"] = Path.GetTempPath() });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("connected shop\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("completions daily_revenue\n", run.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Power BI ships Npgsql 4.0, whose type loading differs from today's; that version cannot be restored next to the
    /// current one, so its three type-loading statements are replayed as it sends them, in one batch.
    /// </summary>
    [Fact]
    public void Npgsql_4_type_loading_query_returns_every_type_we_send()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(Npgsql4TypeLoading.Query, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            types[reader.GetString(reader.GetOrdinal("typname"))] = reader.GetString(reader.GetOrdinal("typtype"));
        }

        Assert.True(reader.NextResult(), "the enum statement returned no result");
        Assert.True(reader.NextResult(), "the composite statement returned no result");
        foreach (string name in (string[])["bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "date", "time", "timestamp", "timestamptz", "interval", "uuid", "bytea", "json"])
        {
            Assert.Equal("b", types.GetValueOrDefault(name));
            Assert.Equal("a", types.GetValueOrDefault("_" + name));
        }
    }
}
