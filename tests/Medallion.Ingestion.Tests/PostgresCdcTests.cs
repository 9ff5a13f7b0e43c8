namespace Medallion.Ingestion.Tests;

public sealed class PostgresCdcTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private PostgresSource Source(string table, int batchRows = 1000, TimeSpan? changeWait = null, TimeSpan? batchInterval = null) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = IngestionMode.Cdc,
            ReplicationSlot = $"{database.Name}_{table}",
            BatchRows = batchRows,
            ChangeWait = changeWait ?? TimeSpan.FromMilliseconds(500),
            BatchInterval = batchInterval,
        });

    [Fact]
    public async Task Changes_arrive_in_commit_order_with_operation_lsn_commit_time_and_transaction()
    {
        await database.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), at timestamptz, tags int[], data bytea)");
        PostgresSource source = Source("items");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        await database.ExecuteAsync("INSERT INTO items VALUES (1, 'pen ✓', 1.50, '2024-03-01 10:00:00.25+01', '{1,2}', '\\x00ff'), (2, 'ink', 12.00, NULL, NULL, NULL)");
        await database.ExecuteAsync("UPDATE items SET price = 2.25 WHERE id = 1");
        await database.ExecuteAsync("DELETE FROM items WHERE id = 2");
        List<SourceBatch> batches = await target.CollectAsync(source, start);

        Assert.Equal(["insert", "insert", "update", "delete"], target.Column<string>("SELECT _op FROM collected ORDER BY _lsn, _seq"));
        Assert.Equal([1L, 2L, 1L, 2L], target.Column<int>("SELECT id FROM collected ORDER BY _lsn, _seq").Select(i => (long)i));
        Assert.Equal(["1.50", "12.00", "2.25", null], target.Column<string?>("SELECT CAST(price AS VARCHAR) FROM collected ORDER BY _lsn, _seq"));
        Assert.Equal(true, target.Scalar("SELECT \"at\" = TIMESTAMPTZ '2024-03-01 09:00:00.25+00' AND data = '\\x00\\xFF'::BLOB AND tags = '{1,2}' AND name = 'pen ✓' FROM collected WHERE _op = 'insert' AND id = 1"));
        Assert.Equal(3L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT _txid) FROM collected")));
        Assert.Equal(1L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT (_lsn, _txid, _commit_ts)) FROM collected WHERE _op = 'insert'")));
        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected WHERE _commit_ts IS NULL OR _lsn IS NULL")));
        Assert.Equal(["_op", "_lsn", "_seq", "_commit_ts", "_txid", "id", "name", "price", "at", "tags", "data"], batches[0].Columns.Select(c => c.Name));
        Assert.All(batches, b => Assert.True(b.IsCommitPoint));
        Assert.Equal(IngestionMode.Cdc, batches[^1].Position.Mode);
    }

    [Fact]
    public async Task Batches_end_only_at_transaction_boundaries()
    {
        await database.ExecuteAsync("CREATE TABLE bulk (id int PRIMARY KEY)");
        PostgresSource source = Source("bulk", batchRows: 2);
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        // Three transactions: 3 rows, then 1 (the batch of 2 is full only after it), then 2.
        await database.ExecuteAsync("INSERT INTO bulk VALUES (1), (2), (3)");
        await database.ExecuteAsync("INSERT INTO bulk VALUES (4)");
        await database.ExecuteAsync("INSERT INTO bulk VALUES (5), (6)");
        List<SourceBatch> batches = await target.CollectAsync(source, start);

        Assert.Equal([3L, 3L], batches.Select(b => b.RowCount));
    }

    [Fact]
    public async Task A_steady_stream_is_committed_in_micro_batches_while_it_flows()
    {
        await database.ExecuteAsync("CREATE TABLE ticks (id int PRIMARY KEY)");
        PostgresSource source = Source("ticks", changeWait: TimeSpan.FromSeconds(1), batchInterval: TimeSpan.FromMilliseconds(300));
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        // One transaction every 50 ms for 2 s: the stream never goes quiet, and 10,000 rows per batch are never reached.
        Task<DateTime> writer = Task.Run(async () =>
        {
            for (int i = 1; i <= 40; i++)
            {
                await database.ExecuteAsync($"INSERT INTO ticks VALUES ({i})");
                await Task.Delay(50);
            }

            return DateTime.UtcNow;
        });
        var batches = new List<(long Rows, DateTime At)>();
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, start))
        {
            batches.Add((batch.RowCount, DateTime.UtcNow));
        }

        DateTime writerDone = await writer;
        Assert.Equal(40L, batches.Sum(b => b.Rows));
        Assert.True(batches[0].At < writerDone, $"the first batch came {(batches[0].At - writerDone).TotalSeconds:0.00} s after the last change was written");
        Assert.True(batches.Count >= 3, $"{batches.Count} batches");
    }

    [Fact]
    public async Task An_open_batch_is_handed_out_at_its_interval_even_when_no_message_follows()
    {
        await database.ExecuteAsync("CREATE TABLE lone (id int PRIMARY KEY)");
        PostgresSource source = Source("lone", changeWait: TimeSpan.FromSeconds(30), batchInterval: TimeSpan.FromMilliseconds(200));
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        await database.ExecuteAsync("INSERT INTO lone VALUES (1), (2)");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        long rows = 0;
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, start))
        {
            rows = batch.RowCount;
            // Leaving with the next read in flight must end that read cleanly.
            break;
        }

        Assert.Equal(2L, rows);
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), $"the batch came after {waited.Elapsed.TotalSeconds:0.0} s, as if only the end of the stream closed it");
    }

    [Fact]
    public async Task Runner_acknowledges_only_committed_changes_so_each_run_gets_the_new_ones()
    {
        await database.ExecuteAsync("CREATE TABLE acked (id int PRIMARY KEY, v text)");
        PostgresSource source = Source("acked");
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        await IngestionRunner.RunAsync(source, sink, target.Connection);

        await database.ExecuteAsync("INSERT INTO acked VALUES (1, 'a'), (2, 'b')");
        IngestionResult first = await IngestionRunner.RunAsync(source, sink, target.Connection);
        await database.ExecuteAsync("UPDATE acked SET v = 'c' WHERE id = 1");
        IngestionResult second = await IngestionRunner.RunAsync(source, sink, target.Connection);
        object? confirmed = await database.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{database.Name}_acked'");

        Assert.Equal(2L, first.Rows);
        Assert.Equal(1L, second.Rows);
        Assert.Equal((decimal)second.Position!.Lsn!.Value, Convert.ToDecimal(confirmed));
        Assert.Equal(3L, Convert.ToInt64(target.Scalar($"SELECT count(*) FROM read_parquet([{string.Join(", ", sink.Commits.Select(c => $"'{c.File}'"))}])")));
    }

    [Fact]
    public async Task Changes_committed_but_not_acknowledged_are_skipped_when_resuming_from_the_position()
    {
        await database.ExecuteAsync("CREATE TABLE resumed (id int PRIMARY KEY)");
        PostgresSource source = Source("resumed");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("INSERT INTO resumed VALUES (1)");
        await database.ExecuteAsync("INSERT INTO resumed VALUES (2)");
        List<SourceBatch> delivered = await target.CollectAsync(source, start);

        // As if the process died after the bronze commit, before acknowledging: the server sends them again.
        await database.ExecuteAsync("INSERT INTO resumed VALUES (3)");
        await target.CollectAsync(PostgresSourceWithFreshState(), SourcePosition.Parse(delivered[^1].Position.ToJson()), "after_restart");

        Assert.Equal([3], target.Column<int>("SELECT id FROM after_restart"));

        PostgresSource PostgresSourceWithFreshState() => Source("resumed");
    }

    [Fact]
    public async Task First_read_delivers_a_snapshot_consistent_with_the_slot_then_the_changes_after_it()
    {
        await database.ExecuteAsync("CREATE TABLE stock (id int PRIMARY KEY, qty int); INSERT INTO stock VALUES (1, 10), (2, 20), (3, 30)");
        PostgresSource source = Source("stock", batchRows: 2);
        using var target = new DuckDbTarget();

        List<SourceBatch> snapshot = await target.CollectAsync(source, after: null);
        await database.ExecuteAsync("UPDATE stock SET qty = 11 WHERE id = 1");
        List<SourceBatch> changes = await target.CollectAsync(source, snapshot[^1].Position, "changes");

        Assert.Equal([(2L, false), (1L, false), (0L, true)], snapshot.Select(b => (b.RowCount, b.IsCommitPoint)));
        Assert.All(snapshot, b => Assert.Equal(snapshot[^1].Position.Lsn, b.Position.Lsn));
        Assert.Equal(["snapshot"], target.Column<string>("SELECT DISTINCT _op FROM collected"));
        Assert.Equal([10, 20, 30], target.Column<int>("SELECT qty FROM collected ORDER BY id"));
        Assert.Equal(["update 1 11"], target.Column<string>("SELECT _op || ' ' || id || ' ' || qty FROM changes"));
        Assert.True(target.Column<decimal>("SELECT _lsn::DECIMAL(20,0) FROM changes")[0] >= snapshot[^1].Position.Lsn!.Value);
    }

    private static async Task<SourcePosition> SnapshotAsync(PostgresSource source, DuckDbTarget target)
    {
        List<SourceBatch> batches = await target.CollectAsync(source, after: null, "snapshot");
        return batches[^1].Position;
    }
}
