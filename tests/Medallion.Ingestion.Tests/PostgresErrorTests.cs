using Npgsql;

namespace Medallion.Ingestion.Tests;

public sealed class PostgresErrorTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static async Task<MedallionException> ReadFailsAsync(string connectionString, SourceTableOptions options)
    {
        using var target = new DuckDbTarget();
        var source = new PostgresSource(connectionString, options);
        return await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, after: null));
    }

    [Fact]
    public async Task Wrong_password_names_the_source_server_and_user()
    {
        string connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = "wrong" }.ConnectionString;

        MedallionException error = await ReadFailsAsync(connectionString, new SourceTableOptions { SourceName = "crm", Table = "public.customers" });

        Assert.Equal(ErrorCode.SourceAuthenticationFailed, error.Code);
        Assert.False(error.IsTransient);
        Assert.Equal(
            $"Source 'crm': the server 127.0.0.1:55432 rejected the login of user 'medallion': 28P01: password authentication failed for user \"medallion\"\nHelp: check the user name and password of the connection, and that the user may connect to that database.",
            error.Message);
    }

    [Fact]
    public async Task Missing_table_names_the_source_table_and_database()
    {
        MedallionException error = await ReadFailsAsync(database.ConnectionString, new SourceTableOptions { SourceName = "crm", Table = "sales.nope" });

        Assert.Equal(ErrorCode.SourceTableNotFound, error.Code);
        Assert.Equal(
            $"Source 'crm': table 'sales.nope' does not exist in database '{database.Name}' (or the user cannot see it).\nHelp: check the table name (and schema) in the source settings, and the user's privileges.",
            error.Message);
    }

    [Fact]
    public async Task Missing_cursor_column_names_the_column_and_lists_the_existing_ones()
    {
        await database.ExecuteAsync("CREATE TABLE customers (id int PRIMARY KEY, name text, updated_at timestamptz)");

        MedallionException error = await ReadFailsAsync(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "crm",
            Table = "customers",
            Mode = IngestionMode.Incremental,
            CursorColumns = ["updated"],
        });

        Assert.Equal(ErrorCode.SourceColumnNotFound, error.Code);
        Assert.Equal(
            "Source 'crm': cursor column 'updated' does not exist in table 'public.customers'.\nHelp: the table has the columns id, name, updated_at.",
            error.Message);
    }

    [Fact]
    public async Task Server_down_is_retried_then_reported_as_transient()
    {
        string connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;

        MedallionException error = await ReadFailsAsync(connectionString, new SourceTableOptions
        {
            SourceName = "crm",
            Table = "customers",
            MaxConnectAttempts = 3,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        });

        Assert.Equal(ErrorCode.SourceUnavailable, error.Code);
        Assert.True(error.IsTransient);
        Assert.IsType<NpgsqlException>(error.InnerException);
        Assert.Equal(
            $"Source 'crm': the server 127.0.0.1:1 could not be reached after 3 attempts: {error.InnerException!.Message}\nHelp: check that the server is running and reachable from this machine; the run can be retried.",
            error.Message);
    }

    [Fact]
    public async Task Value_that_does_not_fit_its_duckdb_type_names_the_column()
    {
        // PostgreSQL's timestamps reach 294276 AD, DuckDB's end in 294247.
        await database.ExecuteAsync("CREATE TABLE odd_times (id int, t timestamp); INSERT INTO odd_times VALUES (1, '2024-01-01'), (2, '294270-01-01')");

        MedallionException error = await ReadFailsAsync(database.ConnectionString, new SourceTableOptions { SourceName = "crm", Table = "odd_times" });

        Assert.Equal(ErrorCode.SourceReadFailed, error.Code);
        Assert.Equal(
            "Source 'crm': reading column 't' of table 'public.odd_times' failed: the timestamp 9223150406400000000 µs after 2000-01-01 lies beyond DuckDB's last one (294247-01-10)\nHelp: the value cannot be represented in its DuckDB type; read the table through a view that casts the column.",
            error.Message);
    }

    [Fact]
    public async Task Position_from_other_cursor_columns_is_refused()
    {
        await database.ExecuteAsync("CREATE TABLE moved (id int PRIMARY KEY, seq int); INSERT INTO moved VALUES (1, 1)");
        var options = new SourceTableOptions { SourceName = "crm", Table = "moved", Mode = IngestionMode.Incremental, CursorColumns = ["id"] };
        using var target = new DuckDbTarget();
        List<SourceBatch> batches = await target.CollectAsync(new PostgresSource(database.ConnectionString, options), after: null);
        var changed = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "crm", Table = "moved", Mode = IngestionMode.Incremental, CursorColumns = ["seq"] });

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(changed, batches[0].Position, "again"));

        Assert.Equal(ErrorCode.SourcePositionInvalid, error.Code);
        Assert.Equal(
            "Source 'crm': the stored position of table 'public.moved' cannot be used: its cursor is (id), the settings say (seq).\nHelp: the source settings changed since the last commit; reload the table in full mode to start over.",
            error.Message);
    }
}
