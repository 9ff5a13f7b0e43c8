using Medallion.Delta.Snapshots;
using Npgsql;

namespace Medallion.Ingestion.Tests;

/// <summary>Full loads read by several COPYs at once, on connections sharing one snapshot.</summary>
public sealed class PostgresParallelReadTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private PostgresSource Source(string table, int parallelism = 4, int batchRows = 500) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Parallelism = parallelism,
            BatchRows = batchRows,
        });

    // fillfactor 10 spreads a few thousand rows over enough pages (1 MB and more per part) to split.
    private Task CreateAsync(string table, string columns, string rows, int count = 20_000) =>
        database.ExecuteAsync($"CREATE TABLE {table} ({columns}) WITH (fillfactor = 10); INSERT INTO {table} SELECT {rows} FROM generate_series(1, {count}) i; ANALYZE {table}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Reads every batch, counting the part COPYs alive once the first batch is in.</summary>
    private static async Task<(List<SourceBatch> Batches, long Copies)> LoadAsync(DuckDbTarget target, PostgresSource source, Func<Task<long>> copiesRunning)
    {
        var batches = new List<SourceBatch>();
        long copies = 0;
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, after: null))
        {
            target.Execute(batches.Count == 0 ? $"CREATE TABLE collected AS SELECT * FROM {batch.Relation}" : $"INSERT INTO collected SELECT * FROM {batch.Relation}");
            batches.Add(batch);
            if (batches.Count == 1)
            {
                // Every part holds unread batches, so none has ended and closed its connection yet.
                copies = await copiesRunning();
            }
        }

        return (batches, copies);
    }

    private async Task<long> CopiesAsync() =>
        Convert.ToInt64(await database.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (SELECT %'"));

    [Fact]
    public async Task A_parallel_full_load_reads_the_table_as_it_was_when_the_load_began_while_a_writer_changes_it()
    {
        await CreateAsync("moving", "id bigint PRIMARY KEY, v int NOT NULL", "i, 0");
        await using var writer = new NpgsqlConnection(database.ConnectionString);
        await writer.OpenAsync();
        await using NpgsqlTransaction change = await writer.BeginTransactionAsync();
        // The change holds the table until it commits: the load takes its snapshot, then waits for the table, so its
        // other connections join after the commit and would see it with snapshots of their own.
        await using (var command = new NpgsqlCommand("""
            INSERT INTO moving SELECT i, 1 FROM generate_series(100001, 105000) i;
            UPDATE moving SET v = v + 1 WHERE id % 2 = 0;
            DELETE FROM moving WHERE id % 7 = 0;
            LOCK TABLE moving IN ACCESS EXCLUSIVE MODE;
            """, writer, change))
        {
            await command.ExecuteNonQueryAsync();
        }

        using var target = new DuckDbTarget();
        Task<(List<SourceBatch> Batches, long Copies)> load = LoadAsync(target, Source("moving"), CopiesAsync);
        await WaitUntilAsync(async () => Convert.ToInt64(await database.ScalarAsync("SELECT count(*) FROM pg_locks WHERE relation = 'moving'::regclass AND NOT granted")) > 0);
        await change.CommitAsync();
        (List<SourceBatch> batches, long copies) = await load;

        Assert.Equal(4, copies);
        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected")));
        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT id) FROM collected")));
        Assert.Equal(20_000L * 20_001 / 2, Convert.ToInt64(target.Scalar("SELECT sum(id)::BIGINT FROM collected")));
        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected WHERE v <> 0")));
        Assert.Equal(20_000L, batches[^1].Position.Rows);
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (long)i), batches.Select(b => b.Sequence));
        // The change did commit: 5,000 rows added, of which 715 (multiples of 7) were deleted again.
        Assert.Equal(4_285L, Convert.ToInt64(await database.ScalarAsync("SELECT count(*) FROM moving WHERE id > 100000")));
    }

    [Fact]
    public async Task A_table_without_a_primary_key_is_read_in_parts_with_every_row_once()
    {
        await CreateAsync("no_key", "n int, label text", "i % 1000, 'row ' || i");
        using var target = new DuckDbTarget();

        List<SourceBatch> batches = await target.CollectAsync(Source("no_key", parallelism: 3), after: null);

        Assert.Equal(20_000L, batches.Sum(b => b.RowCount));
        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT label) FROM collected")));
        Assert.Equal(20L, Convert.ToInt64(target.Scalar("SELECT max(c) FROM (SELECT count(*) AS c FROM collected GROUP BY n)")));
    }

    [Fact]
    public async Task A_table_with_a_text_primary_key_is_read_in_parts_with_every_row_once()
    {
        await CreateAsync("text_key", "code text PRIMARY KEY, n int", "'c-' || md5(i::text), i");
        using var target = new DuckDbTarget();

        await target.CollectAsync(Source("text_key"), after: null);

        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT code) FROM collected")));
        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected")));
        Assert.Equal(20_000L * 20_001 / 2, Convert.ToInt64(target.Scalar("SELECT sum(n)::BIGINT FROM collected")));
    }

    [Fact]
    public async Task A_partitioned_table_is_read_in_ranges_of_its_integer_primary_key_in_one_snapshot()
    {
        await database.ExecuteAsync("""
            CREATE TABLE sales (id int PRIMARY KEY, amount int) PARTITION BY RANGE (id);
            CREATE TABLE sales_low PARTITION OF sales FOR VALUES FROM (MINVALUE) TO (5000);
            CREATE TABLE sales_high PARTITION OF sales FOR VALUES FROM (5000) TO (MAXVALUE);
            INSERT INTO sales SELECT i, i % 10 FROM generate_series(-3000, 9000) i;
            """);
        using var target = new DuckDbTarget();

        (_, long copies) = await LoadAsync(target, Source("sales", parallelism: 3, batchRows: 100), CopiesAsync);

        Assert.Equal(3, copies);
        Assert.Equal(12_001L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT id) FROM collected")));
        Assert.Equal(12_001L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected")));
        Assert.Equal(-3000, Convert.ToInt32(target.Scalar("SELECT min(id) FROM collected")));
        Assert.Equal(9000, Convert.ToInt32(target.Scalar("SELECT max(id) FROM collected")));
    }

    [Fact]
    public async Task A_parallel_full_load_of_one_row_delivers_it_once()
    {
        await database.ExecuteAsync("CREATE TABLE single (id bigint PRIMARY KEY, name text); INSERT INTO single VALUES (42, 'only')");
        using var target = new DuckDbTarget();

        List<SourceBatch> batches = await target.CollectAsync(Source("single"), after: null);

        Assert.Equal(1L, Assert.Single(batches).RowCount);
        Assert.Equal("only", target.Scalar("SELECT name FROM collected WHERE id = 42"));
        Assert.Equal(1L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected")));
    }

    [Fact]
    public async Task A_parallel_full_load_lands_in_bronze_in_one_commit()
    {
        await CreateAsync("landed", "id bigint PRIMARY KEY, name text", "i, 'n' || i");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        PostgresSource source = Source("landed");

        IngestionResult result = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        Snapshot snapshot = await bronze.SnapshotAsync();
        await bronze.ViewAsync();

        Assert.Equal(0L, snapshot.Version);
        Assert.Equal(1L, snapshot.TransactionVersions[source.Key]);
        Assert.Equal(20_000L, result.Rows);
        Assert.Equal(20_000L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT id) FROM bronze WHERE name = 'n' || id")));
    }

    [Fact]
    public async Task A_parallel_full_load_that_cannot_start_a_part_leaves_no_connection_open()
    {
        await CreateAsync("refused", "id bigint PRIMARY KEY", "i");
        await database.ExecuteAsync($"CREATE ROLE {database.Name}_few LOGIN PASSWORD 'few' CONNECTION LIMIT 2; GRANT SELECT ON refused TO {database.Name}_few");
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = database.Name + "_few", Password = "few" };
        var source = new PostgresSource(builder.ConnectionString, new SourceTableOptions { SourceName = "shop", Table = "refused", Parallelism = 4, MaxConnectAttempts = 1 });
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, after: null));

        Assert.Contains("too many connections", error.Message, StringComparison.Ordinal);
        await WaitUntilAsync(async () => Convert.ToInt64(await database.ScalarAsync($"SELECT count(*) FROM pg_stat_activity WHERE usename = '{database.Name}_few'")) == 0);
        await database.ExecuteAsync($"DROP OWNED BY {database.Name}_few; DROP ROLE {database.Name}_few");
    }
}
