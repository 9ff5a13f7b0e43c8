using MySql.Data.MySqlClient;

namespace Medallion.Ingestion.Tests;

public sealed class MySqlReadTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>
{
    private MySqlSource Source(string table, IngestionMode mode = IngestionMode.Full, string[]? cursor = null, int batchRows = 1000, string? connectionString = null) =>
        new(connectionString ?? database.ConnectionString, new SourceTableOptions
        {
            SourceName = "erp",
            Table = table,
            Mode = mode,
            CursorColumns = cursor ?? [],
            BatchRows = batchRows,
            MaxConnectAttempts = 2,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        });

    [Fact]
    public async Task Full_load_of_a_table_bigger_than_a_batch_streams_in_several_batches()
    {
        await database.ExecuteAsync("""
            CREATE TABLE big (id bigint PRIMARY KEY, name varchar(20));
            CREATE TABLE digits (d int);
            INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
            INSERT INTO big SELECT n, CONCAT('row ', n) FROM (SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d + 1 AS n FROM digits a, digits b, digits c, digits e) x WHERE n <= 2500;
            """);
        using var target = new DuckDbTarget();

        List<SourceBatch> batches = await target.CollectAsync(Source("big"), after: null);

        Assert.Equal([1000L, 1000L, 500L], batches.Select(b => b.RowCount));
        Assert.Equal([1000L, 2000L, 2500L], batches.Select(b => b.Position.Rows));
        Assert.Equal(2500L * 2501 / 2, Convert.ToInt64(target.Scalar("SELECT sum(id)::BIGINT FROM collected")));
    }

    [Fact]
    public async Task Incremental_read_neither_loses_nor_repeats_rows_sharing_the_last_cursor_value()
    {
        await database.ExecuteAsync("""
            CREATE TABLE orders (id int PRIMARY KEY, updated_at datetime(6) NOT NULL);
            INSERT INTO orders VALUES (1, '2024-01-01 09:00'), (2, '2024-01-01 09:00'), (3, '2024-01-01 10:00:00.5'),
              (4, '2024-01-01 10:00:00.5'), (5, '2024-01-01 10:00:00.5'), (6, '2024-01-01 10:00:00.5'), (7, '2024-01-01 10:00:00.5');
            """);
        using var target = new DuckDbTarget();
        MySqlSource source = Source("orders", IngestionMode.Incremental, ["updated_at"], batchRows: 3);

        List<SourceBatch> first = await target.CollectAsync(source, after: null);
        await database.ExecuteAsync("INSERT INTO orders VALUES (8, '2024-01-01 10:00:00.5'), (9, '2024-01-01 11:00')");
        List<SourceBatch> second = await target.CollectAsync(source, SourcePosition.Parse(first[^1].Position.ToJson()));
        List<SourceBatch> resumedInsideTies = await target.CollectAsync(source, first[1].Position, "resumed");

        Assert.Equal([3L, 3L, 1L], first.Select(b => b.RowCount));
        Assert.Equal(["2024-01-01 10:00:00.500000"], first[^1].Position.CursorValues);
        Assert.Equal(Enumerable.Range(1, 9), target.Column<int>("SELECT id FROM collected ORDER BY id"));
        Assert.Equal(["2024-01-01 11:00:00.000000"], second[^1].Position.CursorValues);
        Assert.Equal([7, 8, 9], target.Column<int>("SELECT id FROM resumed ORDER BY id"));
    }

    [Fact]
    public async Task Wrong_password_names_the_source_server_and_user()
    {
        string connectionString = new MySqlConnectionStringBuilder(database.ConnectionString) { Password = "wrong" }.ConnectionString;
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(Source("orders", connectionString: connectionString), after: null));

        Assert.Equal(ErrorCode.SourceAuthenticationFailed, error.Code);
        Assert.Equal(
            $"Source 'erp': the server 127.0.0.1:53306 rejected the login of user 'medallion': {error.InnerException!.Message}\nHelp: check the user name and password of the connection, and that the user may connect to that database.",
            error.Message);
        Assert.Contains("Access denied for user 'medallion'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_table_names_the_source_table_and_database()
    {
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(Source("nope"), after: null));

        Assert.Equal(ErrorCode.SourceTableNotFound, error.Code);
        Assert.Equal(
            $"Source 'erp': table '{database.Name}.nope' does not exist in database '{database.Name}' (or the user cannot see it).\nHelp: check the table name (and schema) in the source settings, and the user's privileges.",
            error.Message);
    }

    [Fact]
    public async Task Missing_cursor_column_names_the_column_and_lists_the_existing_ones()
    {
        await database.ExecuteAsync("CREATE TABLE customers (id int PRIMARY KEY, name text, updated_at datetime)");
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(Source("customers", IngestionMode.Incremental, ["modified"]), after: null));

        Assert.Equal(ErrorCode.SourceColumnNotFound, error.Code);
        Assert.Equal(
            $"Source 'erp': cursor column 'modified' does not exist in table '{database.Name}.customers'.\nHelp: the table has the columns id, name, updated_at.",
            error.Message);
    }

    [Fact]
    public async Task Server_down_is_retried_then_reported_as_transient()
    {
        string connectionString = new MySqlConnectionStringBuilder(database.ConnectionString) { Port = 1, ConnectionTimeout = 2 }.ConnectionString;
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(Source("orders", connectionString: connectionString), after: null));

        Assert.Equal(ErrorCode.SourceUnavailable, error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(
            $"Source 'erp': the server 127.0.0.1:1 could not be reached after 2 attempts: {error.InnerException!.Message}\nHelp: check that the server is running and reachable from this machine; the run can be retried.",
            error.Message);
    }

    [Fact]
    public async Task Stream_abandoned_after_the_first_batch_stops_the_query()
    {
        await database.ExecuteAsync("""
            CREATE TABLE abandoned (id int);
            CREATE TABLE ten (d int);
            INSERT INTO ten VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
            INSERT INTO abandoned SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d FROM ten a, ten b, ten c, ten e;
            """);
        using var target = new DuckDbTarget();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await foreach (SourceBatch batch in Source("abandoned", batchRows: 100).ReadAsync(target.Connection, after: null))
        {
            Assert.Equal(100, batch.RowCount);
            break;
        }

        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'medallion_%'")));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"Abandoning took {watch.Elapsed}.");
    }
}
