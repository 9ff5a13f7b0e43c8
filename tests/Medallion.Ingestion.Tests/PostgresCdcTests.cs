namespace Medallion.Ingestion.Tests;

/// <summary>
/// Change data capture of PostgreSQL tables over logical replication: what is PostgreSQL's own (types, replica identity,
/// TOAST, slot acknowledgement, slow decoding, columns added while streaming). What every database promises is in
/// <see cref="CdcContractTests"/>.
/// </summary>
public sealed class PostgresCdcTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private PostgresSource Source(string table, int batchRows = 1000, int changeWaitMs = 500) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = IngestionMode.Cdc,
            ReplicationSlot = $"{database.Name}_{table}",
            BatchRows = batchRows,
            ChangeWait = TimeSpan.FromMilliseconds(changeWaitMs),
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
        Assert.Equal(
            ["_op", "_lsn", "_seq", "_commit_ts", "_txid", "id", "name", "price", "at", "tags", "data",
             "_before_id", "_before_name", "_before_price", "_before_at", "_before_tags", "_before_data", "_unchanged_toast"],
            batches[0].Columns.Select(c => c.Name));
        Assert.All(batches, b => Assert.True(b.IsCommitPoint));
        Assert.Equal(IngestionMode.Cdc, batches[^1].Position.Mode);
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
        // At least the committed position; beyond it when a heartbeat reported WAL that other tests wrote meanwhile.
        Assert.True(Convert.ToDecimal(confirmed) >= second.Position!.Lsn!.Value, $"The slot was confirmed at {confirmed}, before the committed {second.Position}.");
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

        // The resumed stream first decodes the delivered changes again to skip them: under load that can take longer
        // than the usual half second of quiet that ends a read, so this read waits longer for its one change.
        PostgresSource PostgresSourceWithFreshState() => Source("resumed", changeWaitMs: 5000);
    }

    [Fact]
    public async Task A_continuous_pass_commits_a_change_after_a_quiet_spell_at_once_and_the_next_one_commit_interval_later()
    {
        await database.ExecuteAsync("CREATE TABLE prompt (id int PRIMARY KEY)");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(Source("prompt"), target);
        // A pass far longer than the test may run: a batch that waited for its end would time the test out.
        TimeSpan pass = TimeSpan.FromMinutes(5);
        TimeSpan spacing = TimeSpan.FromSeconds(1);
        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = "prompt",
            Mode = IngestionMode.Cdc,
            ReplicationSlot = $"{database.Name}_prompt",
            ChangeWait = pass,
            CommitInterval = spacing,
            PassDuration = pass,
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var delivered = new List<(long Rows, bool CommitPoint)>();
        var sinceFirst = new System.Diagnostics.Stopwatch();

        await database.ExecuteAsync("INSERT INTO prompt VALUES (1)");
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, start, timeout.Token))
        {
            delivered.Add((batch.RowCount, batch.IsCommitPoint));
            if (delivered.Count == 2)
            {
                sinceFirst.Stop();
                // Leaving the pass while it waits for the next change ends that wait; nothing is left running.
                break;
            }

            sinceFirst.Start();
            await database.ExecuteAsync("INSERT INTO prompt VALUES (2)");
        }

        Assert.Equal([(1L, true), (1L, true)], delivered);
        // The spacing counts from just before the first batch was handed over: a few milliseconds of slack.
        Assert.InRange(sinceFirst.Elapsed, spacing - TimeSpan.FromMilliseconds(100), pass);
    }

    [Fact]
    public async Task A_transaction_whose_stream_goes_quiet_between_its_changes_is_delivered_whole_and_once()
    {
        // The server decodes a transaction at its commit and sends its changes one by one, each after the
        // publication's row filter passed it: this filter takes about a second (factorial(30000)) on row 30000 only,
        // so the stream is silent for longer than the 0.3 s wait between the transaction's first change and the rest.
        await database.ExecuteAsync($"CREATE TABLE gappy (id int PRIMARY KEY); CREATE PUBLICATION {database.Name}_gappy FOR TABLE gappy WHERE (id < 10000 OR factorial(id) > 0)");
        PostgresSource source = Source("gappy", changeWaitMs: 300);
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        await IngestionRunner.RunAsync(source, sink, target.Connection);

        await database.ExecuteAsync("BEGIN; INSERT INTO gappy VALUES (1); INSERT INTO gappy VALUES (30000); INSERT INTO gappy VALUES (2); COMMIT");
        await IngestionRunner.RunAsync(source, sink, target.Connection);
        // Whatever the first pass left, a pass that waits out the filter takes it to the end.
        await IngestionRunner.RunAsync(Source("gappy", changeWaitMs: 5000), sink, target.Connection);

        List<int> delivered = target.Column<int>($"SELECT id FROM read_parquet([{string.Join(", ", sink.Commits.Select(c => $"'{c.File}'"))}]) ORDER BY _lsn, _seq");
        Assert.Equal([1, 30000, 2], delivered);
    }

    [Fact]
    public async Task A_pass_reads_every_change_committed_before_it_began_however_long_the_server_decodes_before_reaching_them()
    {
        await database.ExecuteAsync("CREATE TABLE late (id int PRIMARY KEY); CREATE TABLE unrelated (n int)");
        PostgresSource source = Source("late", changeWaitMs: 300);
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        await IngestionRunner.RunAsync(source, sink, target.Connection);

        // A resumed stream decodes the WAL from the slot on: the million rows of a table outside the publication keep
        // the server silent for far longer than the 0.3 s wait (over a second here) before it reaches the change.
        await database.ExecuteAsync("INSERT INTO unrelated SELECT generate_series(1, 1000000)");
        await database.ExecuteAsync("INSERT INTO late VALUES (1)");
        IngestionResult pass = await IngestionRunner.RunAsync(source, sink, target.Connection);

        Assert.Equal(1L, pass.Rows);
    }

    [Fact]
    public async Task A_pass_reads_a_change_committed_asynchronously_just_before_it_began()
    {
        await database.ExecuteAsync("CREATE TABLE async_commits (id int PRIMARY KEY)");
        PostgresSource source = Source("async_commits", changeWaitMs: 100);
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        await IngestionRunner.RunAsync(source, sink, target.Connection);

        // An asynchronous commit answers before its WAL is flushed, and no walsender decodes WAL the server has not
        // flushed: the pass must wait for the flush rather than end at the position flushed when it began.
        long rows = 0;
        for (int id = 1; id <= 20; id++)
        {
            await database.ExecuteAsync($"SET synchronous_commit = off; INSERT INTO async_commits VALUES ({id})");
            rows += (await IngestionRunner.RunAsync(source, sink, target.Connection)).Rows;
            Assert.Equal(id, rows);
        }
    }

    [Fact]
    public async Task With_the_default_replica_identity_deletes_and_key_changing_updates_carry_the_old_key_only()
    {
        await database.ExecuteAsync("CREATE TABLE keyed (id int PRIMARY KEY, qty int); INSERT INTO keyed VALUES (1, 10), (2, 20), (3, 30)");
        PostgresSource source = Source("keyed");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        await database.ExecuteAsync("UPDATE keyed SET qty = 11 WHERE id = 1");
        await database.ExecuteAsync("UPDATE keyed SET id = 4 WHERE id = 2");
        await database.ExecuteAsync("DELETE FROM keyed WHERE id = 3");
        await target.CollectAsync(source, start);

        Assert.Equal(
            ["update 1 11 | - -", "update 4 20 | 2 -", "delete 3 - | 3 -"],
            target.Column<string>("SELECT concat_ws(' ', _op, id, coalesce(qty::VARCHAR, '-')) || ' | ' || coalesce(_before_id::VARCHAR, '-') || ' ' || coalesce(_before_qty::VARCHAR, '-') FROM collected ORDER BY _lsn, _seq"));
    }

    [Theory]
    [InlineData("DEFAULT", "update -1 1 [body]")]
    [InlineData("FULL", "update 10000 1 ")]
    public async Task An_unchanged_toasted_value_is_taken_from_a_full_before_image_or_else_named(string identity, string update)
    {
        string table = "docs_" + identity.ToLowerInvariant();
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, body text, n int); ALTER TABLE {table} ALTER COLUMN body SET STORAGE EXTERNAL; ALTER TABLE {table} REPLICA IDENTITY {identity}");
        PostgresSource source = Source(table);
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        await database.ExecuteAsync($"INSERT INTO {table} VALUES (1, repeat('x', 10000), 0)");
        await database.ExecuteAsync($"UPDATE {table} SET n = 1 WHERE id = 1");
        await target.CollectAsync(source, start);

        Assert.Equal(
            ["insert 10000 0 ", update],
            target.Column<string>("SELECT concat_ws(' ', _op, coalesce(length(body), -1), n, coalesce(_unchanged_toast::VARCHAR, '')) FROM collected ORDER BY _lsn, _seq"));
    }

    [Fact]
    public async Task A_column_added_while_streaming_ends_the_batch_and_the_changes_after_it_carry_the_column()
    {
        await database.ExecuteAsync("CREATE TABLE growing (id int PRIMARY KEY, qty int)");
        // A long wait: the stream must still be open when the ALTER's transaction is decoded, even on a loaded machine.
        PostgresSource source = Source("growing", batchRows: 1, changeWaitMs: 3000);
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);

        await database.ExecuteAsync("INSERT INTO growing VALUES (1, 10)");
        await database.ExecuteAsync("INSERT INTO growing VALUES (4, 40)");
        var batches = new List<SourceBatch>();
        var rows = new List<string>();
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, start))
        {
            if (batches.Count == 0)
            {
                // The stream is running with the old columns: one transaction changes a row with them, adds a column, then uses it.
                await database.ExecuteAsync("BEGIN; INSERT INTO growing VALUES (2, 20); ALTER TABLE growing ADD COLUMN note text; INSERT INTO growing VALUES (3, 30, 'three'); COMMIT");
                await database.ExecuteAsync("UPDATE growing SET note = 'one' WHERE id = 1");
            }

            batches.Add(batch);
            bool hasNote = batch.Columns.Any(c => c.Name == "note");
            rows.AddRange(target.Column<string>($"SELECT concat_ws(' ', _op, id, qty, {(hasNote ? "coalesce(note, '-')" : "'(no note)'")}) FROM {batch.Relation} ORDER BY _lsn, _seq"));
        }

        Assert.Equal(["insert 1 10 (no note)", "insert 4 40 (no note)", "insert 2 20 -", "insert 3 30 three", "update 1 10 one"], rows);
        Assert.Equal([false, false, true, true], batches.Select(b => b.Columns.Any(c => c.Name == "note")));
        Assert.Contains(batches[^1].Columns, c => c.Name == "_before_note");
        Assert.Equal(batches.Select(b => b.Position.Lsn).Order(), batches.Select(b => b.Position.Lsn));
    }

    private static async Task<SourcePosition> SnapshotAsync(PostgresSource source, DuckDbTarget target)
    {
        List<SourceBatch> batches = await target.CollectAsync(source, after: null, "snapshot");
        return batches[^1].Position;
    }
}
