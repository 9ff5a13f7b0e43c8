namespace Medallion.Ingestion.Tests;

public sealed class PostgresReadTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private PostgresSource Source(string table, IngestionMode mode = IngestionMode.Full, string[]? cursor = null, int batchRows = 1000, string[]? key = null, int parallelism = 1) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = mode,
            CursorColumns = cursor ?? [],
            KeyColumns = key,
            BatchRows = batchRows,
            Parallelism = parallelism,
        });

    [Fact]
    public async Task Full_load_of_a_table_bigger_than_a_batch_streams_in_several_batches()
    {
        await database.ExecuteAsync("CREATE TABLE big (id bigint PRIMARY KEY, name text); INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 2500) i");
        using var target = new DuckDbTarget();

        List<SourceBatch> batches = await target.CollectAsync(Source("public.big"), after: null);

        Assert.Equal([1000L, 1000L, 500L], batches.Select(b => b.RowCount));
        Assert.Equal([1L, 2L, 3L], batches.Select(b => b.Sequence));
        Assert.Equal([1000L, 2000L, 2500L], batches.Select(b => b.Position.Rows));
        Assert.All(batches, b => Assert.False(b.IsCommitPoint));
        Assert.All(batches, b => Assert.Equal(IngestionMode.Full, b.Position.Mode));
        Assert.Equal(2500L * 2501 / 2, Convert.ToInt64(target.Scalar("SELECT sum(id)::BIGINT FROM collected")));
        Assert.Equal(2500L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT name) FROM collected")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Full_load_of_an_empty_table_still_ends_with_one_empty_batch(int parallelism)
    {
        await database.ExecuteAsync($"CREATE TABLE empty_full_{parallelism} (id bigint PRIMARY KEY, name text)");
        using var target = new DuckDbTarget();

        List<SourceBatch> batches = await target.CollectAsync(Source($"empty_full_{parallelism}", parallelism: parallelism), after: null);

        SourceBatch batch = Assert.Single(batches);
        Assert.Equal(0, batch.RowCount);
        Assert.Equal(0, batch.Position.Rows);
        Assert.Equal(["id", "name"], batch.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task Incremental_read_neither_loses_nor_repeats_rows_sharing_the_last_cursor_value()
    {
        // Seven rows share the timestamp 10:00, so every batch of three ends inside a run of equal cursor values.
        await database.ExecuteAsync("""
            CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamp NOT NULL, note text);
            INSERT INTO orders SELECT i, '2024-01-01 09:00', 'a' FROM generate_series(1, 2) i;
            INSERT INTO orders SELECT i, '2024-01-01 10:00', 'b' FROM generate_series(3, 9) i;
            """);
        using var target = new DuckDbTarget();
        PostgresSource source = Source("orders", IngestionMode.Incremental, ["updated_at"], batchRows: 3);

        List<SourceBatch> first = await target.CollectAsync(source, after: null);
        Assert.Equal([3L, 3L, 3L], first.Select(b => b.RowCount));
        Assert.All(first, b => Assert.True(b.IsCommitPoint));
        SourcePosition last = first[^1].Position;
        Assert.Equal(["2024-01-01 10:00:00"], last.CursorValues);
        Assert.Equal(7, last.BoundaryKeys.Count);

        // A late row with exactly the last cursor value, and a newer one, arrive after the run.
        await database.ExecuteAsync("INSERT INTO orders VALUES (10, '2024-01-01 10:00', 'late tie'), (11, '2024-01-01 11:00', 'newer')");
        List<SourceBatch> second = await target.CollectAsync(source, SourcePosition.Parse(last.ToJson()));

        Assert.Equal([10, 11], target.Column<int>("SELECT id FROM collected WHERE id >= 10 ORDER BY id"));
        Assert.Equal(11L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected")));
        Assert.Equal(11L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT id) FROM collected")));
        Assert.Equal(["2024-01-01 11:00:00"], second[^1].Position.CursorValues);

        List<SourceBatch> third = await target.CollectAsync(source, second[^1].Position);
        Assert.Empty(third);
    }

    [Fact]
    public async Task Incremental_read_resumed_after_any_batch_delivers_every_row_exactly_once()
    {
        await database.ExecuteAsync("""
            CREATE TABLE events (id int PRIMARY KEY, version int NOT NULL, at date NOT NULL);
            INSERT INTO events SELECT i, i / 4, DATE '2024-01-01' + (i / 10) FROM generate_series(1, 40) i;
            """);
        PostgresSource source = Source("events", IngestionMode.Incremental, ["at", "version"], batchRows: 3);
        using var reference = new DuckDbTarget();
        List<SourceBatch> all = await reference.CollectAsync(source, after: null);

        // As if the process died after committing batch k: resume from its position.
        for (int k = 0; k < all.Count; k++)
        {
            using var target = new DuckDbTarget();
            List<SourceBatch> before = await target.CollectAsync(source, after: null);
            target.Execute($"DELETE FROM collected WHERE rowid >= {3 * (k + 1)}");
            await target.CollectAsync(source, before[k].Position);

            Assert.Equal(Enumerable.Range(1, 40), target.Column<int>("SELECT id FROM collected ORDER BY id"));
        }
    }

    [Fact]
    public async Task Incremental_read_without_a_key_treats_the_cursor_as_the_key_and_counts_ties()
    {
        await database.ExecuteAsync("""
            CREATE TABLE readings (sensor text, taken_at timestamptz NOT NULL);
            INSERT INTO readings VALUES ('a', '2024-05-01 12:00+00'), ('b', '2024-05-01 12:00+00'), ('c', '2024-05-01 12:00+00');
            """);
        PostgresSource source = Source("readings", IngestionMode.Incremental, ["taken_at"], batchRows: 2);
        using var target = new DuckDbTarget();

        List<SourceBatch> first = await target.CollectAsync(source, after: null);
        await database.ExecuteAsync("INSERT INTO readings VALUES ('d', '2024-05-01 12:00+00')");
        await target.CollectAsync(source, first[^1].Position);

        Assert.Equal(["2024-05-01 12:00:00+00"], first[^1].Position.CursorValues);
        Assert.Equal(["a", "b", "c", "d"], target.Column<string>("SELECT sensor FROM collected ORDER BY sensor"));
    }

    [Fact]
    public async Task Incremental_read_skips_rows_whose_cursor_is_null()
    {
        await database.ExecuteAsync("CREATE TABLE nulls (id int PRIMARY KEY, seq bigint); INSERT INTO nulls VALUES (1, 10), (2, NULL), (3, 30)");
        using var target = new DuckDbTarget();

        await target.CollectAsync(Source("nulls", IngestionMode.Incremental, ["seq"]), after: null);

        Assert.Equal([1, 3], target.Column<int>("SELECT id FROM collected ORDER BY id"));
    }

    [Fact]
    public async Task Runner_commits_each_incremental_batch_with_its_position_in_parquet_files()
    {
        await database.ExecuteAsync("CREATE TABLE runs (id int PRIMARY KEY, n int); INSERT INTO runs SELECT i, i * i FROM generate_series(1, 25) i");
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        PostgresSource source = Source("runs", IngestionMode.Incremental, ["id"], batchRows: 10);

        IngestionResult first = await IngestionRunner.RunAsync(source, sink, target.Connection);
        await database.ExecuteAsync("INSERT INTO runs VALUES (26, 676)");
        IngestionResult second = await IngestionRunner.RunAsync(source, sink, target.Connection);
        IngestionResult third = await IngestionRunner.RunAsync(source, sink, target.Connection);

        Assert.Equal((3L, 25L), (first.Batches, first.Rows));
        Assert.Equal((1L, 1L), (second.Batches, second.Rows));
        Assert.Equal((0L, 0L), (third.Batches, third.Rows));
        Assert.Equal(["26"], third.Position!.CursorValues);
        Assert.Equal(4, sink.Commits.Count);
        Assert.Equal(26L, Convert.ToInt64(target.Scalar($"SELECT count(*) FROM read_parquet([{string.Join(", ", sink.Commits.Select(c => $"'{c.File}'"))}])")));
        Assert.Equal([10L, 10L, 5L, 1L], sink.Commits.Select(c => c.Rows));
    }

    [Fact]
    public async Task Pre_cancelled_token_stops_the_read_with_cancellation_not_an_empty_result()
    {
        await database.ExecuteAsync("CREATE TABLE cancelled (id int); INSERT INTO cancelled VALUES (1)");
        using var target = new DuckDbTarget();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (SourceBatch batch in Source("cancelled").ReadAsync(target.Connection, after: null, cancellation.Token))
            {
                Assert.Fail($"No batch may arrive after cancellation, got {batch.RowCount} rows.");
            }
        });
    }

    [Fact]
    public async Task Cancelling_while_the_next_batch_is_read_stops_the_stream_with_cancellation()
    {
        await database.ExecuteAsync("CREATE TABLE cancelled_midway (id int); INSERT INTO cancelled_midway SELECT generate_series(1, 200000)");
        using var target = new DuckDbTarget();
        using var cancellation = new CancellationTokenSource();
        int batches = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (SourceBatch batch in Source("cancelled_midway", batchRows: 1000).ReadAsync(target.Connection, after: null, cancellation.Token))
            {
                batches++;
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal(1, batches);
        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'medallion_%'")));
    }

    [Fact]
    public async Task Batches_are_read_ahead_but_each_arrives_whole_and_in_order()
    {
        await database.ExecuteAsync("CREATE TABLE read_ahead (id int); INSERT INTO read_ahead SELECT generate_series(1, 2500)");
        using var target = new DuckDbTarget();
        var seen = new List<(long Sequence, long Rows, long First, long Last)>();

        await foreach (SourceBatch batch in Source("read_ahead", batchRows: 1000).ReadAsync(target.Connection, after: null))
        {
            // The consumer is slow: the next batch is read meanwhile into the other table, which must leave this one intact.
            await Task.Delay(50);
            seen.Add((batch.Sequence, batch.RowCount, Convert.ToInt64(target.Scalar($"SELECT min(id) FROM {batch.Relation}")), Convert.ToInt64(target.Scalar($"SELECT max(id) FROM {batch.Relation}"))));
        }

        Assert.Equal([(1L, 1000L, 1L, 1000L), (2L, 1000L, 1001L, 2000L), (3L, 500L, 2001L, 2500L)], seen);
    }

    [Fact]
    public async Task Stream_abandoned_after_the_first_batch_releases_the_connection_and_the_batch_table()
    {
        await database.ExecuteAsync("CREATE TABLE abandoned (id int); INSERT INTO abandoned SELECT generate_series(1, 5000)");
        using var target = new DuckDbTarget();

        await foreach (SourceBatch batch in Source("abandoned", batchRows: 100).ReadAsync(target.Connection, after: null))
        {
            Assert.Equal(100, batch.RowCount);
            break;
        }

        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'medallion_%'")));
        Assert.Equal(0L, Convert.ToInt64(await database.ScalarAsync($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database.Name}' AND pid <> pg_backend_pid()")));
    }
}
