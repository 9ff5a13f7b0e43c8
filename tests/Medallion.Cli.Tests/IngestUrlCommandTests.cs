using System.Text;
using System.Text.Json;
using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion ingest --source postgres://... --table ...</c>: one command from a database to bronze (issue #22).</summary>
public sealed class IngestUrlCommandTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IDisposable
{
    // A password that appears nowhere else, with characters a URL must escape.
    private const string Password = "p@ss:w0rd/Xq9z";
    private const string EscapedPassword = "p%40ss%3Aw0rd%2FXq9z";

    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-url-").FullName;
    private static readonly string s_suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly string _role = "url_" + s_suffix + "_" + Interlocked.Increment(ref s_count);
    private readonly string _table = "orders_" + Interlocked.Increment(ref s_count);
    private static int s_count;

    private string Url(string password) => $"postgres://{_role}:{password}@{database.Builder.Host}:{database.Builder.Port}/{database.Name}";

    private async Task CreateOrdersAsync()
    {
        await database.ExecuteAsync($"""
            CREATE TABLE {_table} (id int PRIMARY KEY, status text, updated_at int);
            INSERT INTO {_table} VALUES (1, 'new', 1), (2, 'paid', 2);
            CREATE ROLE {_role} LOGIN PASSWORD '{Password}';
            GRANT SELECT ON {_table} TO {_role};
            """);
    }

    [Fact]
    public async Task Ingest_from_a_postgres_url_in_an_empty_folder_creates_the_project_and_its_catalog_and_lands_the_rows()
    {
        await CreateOrdersAsync();

        Cli.Result result = await Cli.RunAsync("ingest", "--source", Url(EscapedPassword), "--table", "public." + _table, "--into", "bronze.orders", "--mode", "full", "--once", "--project", _directory);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True(File.Exists(Path.Combine(_directory, "medallion.yml")));
        Assert.True(File.Exists(Path.Combine(_directory, ".medallion", "catalog.db")));
        Assert.Equal(
            [$"Created {Path.Combine(_directory, "medallion.yml")} (storage warehouse/, catalog .medallion/catalog.db); the connection is not written into it.",
             $"Reading public.{_table} of postgres://{_role}:***@{database.Builder.Host}:{database.Builder.Port}/{database.Name} (full) into bronze.orders.",
             $"orders: public.{_table} -> bronze.orders: 2 rows in 1 batches, version 0"],
            result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["1,new", "2,paid"], await QueryAsync("SELECT id, status FROM bronze.orders ORDER BY id"));
        Cli.Result tables = await Cli.RunAsync("tables", "--format", "json", "--project", _directory);
        Assert.Contains("bronze.orders", JsonDocument.Parse(tables.Output).RootElement.EnumerateArray().Select(t => CatalogCommandTests.Name(t.GetProperty("name"))));
    }

    [Fact]
    public async Task A_password_in_the_url_draws_a_warning_and_is_neither_printed_nor_written_to_any_file()
    {
        await CreateOrdersAsync();

        Cli.Result result = await Cli.RunAsync("ingest", "--source", Url(EscapedPassword), "--table", "public." + _table, "--project", _directory);
        Cli.Result again = await Cli.RunAsync("ingest", "--source", Url(EscapedPassword), "--table", _table, "--mode", "incremental", "--cursor", "updated_at", "--into", "bronze.orders_incremental", "--project", _directory);

        Assert.True(result.ExitCode == 0 && again.ExitCode == 0, result.Error + again.Error);
        Assert.Equal(
            "warning: the password is written in the --source URL, where shell history and process lists keep it; write it as ${NAME} in single quotes to read it from an environment variable instead, e.g. 'postgres://user:${PGPASSWORD}@host/db'.\n",
            result.Error);
        Assert.Equal(["1", "2"], await QueryAsync("SELECT id FROM bronze.orders_incremental ORDER BY id"));
        string printed = result.Output + result.Error + again.Output + again.Error;
        Assert.DoesNotContain(Password, printed);
        Assert.DoesNotContain(EscapedPassword, printed);
        string[] files = Directory.GetFiles(_directory, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => Contains(f, Password) || Contains(f, EscapedPassword));
    }

    [Theory]
    [InlineData("postgres://u@localhost:5432", "--table public.orders", "Error MDL8009: The database source cannot be read: 'postgres://u@localhost:5432' names no database.\nHelp: add it after the host, e.g. postgres://user@localhost:5432/shop.\n")]
    [InlineData("postgres://u:secret@localhost:99999/shop", "--table public.orders", "Error MDL8009: The database source cannot be read: 'postgres://u:***@localhost:99999/shop' has the port '99999', which is not a number from 1 to 65535.\nHelp: write the host as host:port, e.g. localhost:5432.\n")]
    [InlineData("postgres://u@localhost/shop", "--table public.orders --mode sometimes", "Error MDL8009: The database source cannot be read: the mode 'sometimes' is not one Medallion knows.\nHelp: use full, incremental or cdc.\n")]
    [InlineData("postgres://u@localhost/shop", "--table public.orders --mode incremental", "Error MDL8009: The database source cannot be read: table 'public.orders' is read incrementally but has no cursor column.\nHelp: name the column that grows with each change, e.g. updated_at.\n")]
    [InlineData("postgres://u@localhost/shop", "", "Error MDL1101: a database --source needs --table <table>, the table to read, e.g. --table public.orders.\n")]
    [InlineData("postgres://u@localhost/shop", "--table public.orders --into orders", "Error MDL1101: --into takes <namespace.table>, e.g. --into bronze.orders, but was 'orders'.\n")]
    public async Task A_bad_url_mode_or_missing_table_is_refused_naming_what_was_wrong_and_writes_nothing(string url, string options, string expected)
    {
        string[] args = ["ingest", "--source", url, .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--project", _directory];

        Cli.Result result = await Cli.RunAsync(args);

        Assert.Equal(expected, result.Error);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public async Task Table_options_without_a_database_url_are_refused()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--table", "public.orders", "--project", _directory);

        Assert.Equal((2, "Error MDL1101: --table goes with a database --source (postgres://... or mysql://...); the project's sources take their settings from sources/*.yml.\n"), (result.ExitCode, result.Error));
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        Cli.Result result = await Cli.RunAsync("sql", sql, "--format", "csv", "--project", _directory);
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
    }

    private static bool Contains(string file, string text)
    {
        byte[] bytes = File.ReadAllBytes(file);
        byte[] needle = Encoding.UTF8.GetBytes(text);
        return bytes.AsSpan().IndexOf(needle) >= 0;
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        database.ExecuteAsync($"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{_role}') THEN REVOKE ALL ON {_table} FROM {_role}; DROP ROLE {_role}; END IF; END $$").GetAwaiter().GetResult();
    }
}

/// <summary><c>medallion ingest --source mysql://...</c>, the password read from the environment.</summary>
public sealed class IngestMySqlUrlCommandTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-url-").FullName;

    [Fact]
    public async Task A_mysql_url_with_its_password_as_an_environment_reference_loads_incrementally_without_a_warning()
    {
        await database.ExecuteAsync("CREATE TABLE customers (id int PRIMARY KEY, name varchar(20)); INSERT INTO customers VALUES (1, 'ada'), (2, 'bob')");
        var server = new MySql.Data.MySqlClient.MySqlConnectionStringBuilder(database.ConnectionString);
        string variable = "MEDALLION_TEST_MY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, server.Password);
        try
        {
            string url = $"mysql://{server.UserID}:${{{variable}}}@{server.Server}:{server.Port}/{server.Database}";

            Cli.Result result = await Cli.RunAsync("ingest", "--source", url, "--table", "customers", "--mode", "incremental", "--cursor", "id", "--project", _directory);

            Assert.Equal((0, ""), (result.ExitCode, result.Error));
            Assert.Contains($"Reading customers of {url} (incremental) into bronze.customers.\n", result.Output);
            Cli.Result rows = await Cli.RunAsync("sql", "SELECT name FROM bronze.customers ORDER BY id", "--format", "csv", "--project", _directory);
            Assert.Equal("name\nada\nbob\n", rows.Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task A_mysql_url_in_mode_cdc_loads_a_snapshot_then_each_run_adds_the_changes_since()
    {
        await database.ExecuteAsync("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 10), (2, 20)");
        var server = new MySql.Data.MySqlClient.MySqlConnectionStringBuilder(database.ConnectionString);
        string variable = "MEDALLION_TEST_MY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, server.Password);
        try
        {
            string url = $"mysql://{server.UserID}:${{{variable}}}@{server.Server}:{server.Port}/{server.Database}";

            Cli.Result first = await Cli.RunAsync("ingest", "--source", url, "--table", "accounts", "--mode", "cdc", "--project", _directory);
            await database.ExecuteAsync("UPDATE accounts SET balance = 11 WHERE id = 1; DELETE FROM accounts WHERE id = 2");
            Cli.Result second = await Cli.RunAsync("ingest", "--source", url, "--table", "accounts", "--mode", "cdc", "--project", _directory);

            Assert.Equal((0, ""), (first.ExitCode, first.Error));
            Assert.Equal((0, ""), (second.ExitCode, second.Error));
            // Snapshot rows share one position, and their _seq is MariaDB's ROW_NUMBER() OVER (), in no set order: by key.
            Cli.Result rows = await Cli.RunAsync("sql", "SELECT _op, id, balance, _before_balance FROM bronze.accounts ORDER BY _binlog_file, _binlog_pos, CASE _op WHEN 'snapshot' THEN id END, _seq", "--format", "csv", "--project", _directory);
            Assert.Equal("_op,id,balance,_before_balance\nsnapshot,1,10,\nsnapshot,2,20,\nupdate,1,11,10\ndelete,2,20,20\n", rows.Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
