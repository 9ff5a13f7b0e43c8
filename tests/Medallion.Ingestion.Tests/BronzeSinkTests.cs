using Medallion.Delta.Snapshots;
using System.Text.Json;

namespace Medallion.Ingestion.Tests;

public sealed class BronzeSinkTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private PostgresSource Source(string table, IngestionMode mode, int batchRows = 1000, int changeWaitMs = 500, params string[] cursor) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = mode,
            CursorColumns = cursor,
            ReplicationSlot = $"{database.Name}_{table}",
            BatchRows = batchRows,
            ChangeWait = TimeSpan.FromMilliseconds(changeWaitMs),
        });

    [Fact]
    public async Task Full_load_lands_every_row_with_ingested_at_in_one_commit_holding_the_position_and_batch_number()
    {
        await database.ExecuteAsync("CREATE TABLE full_orders (id int PRIMARY KEY, name text); INSERT INTO full_orders SELECT g, 'n' || g FROM generate_series(1, 25) g");
        PostgresSource source = Source("full_orders", IngestionMode.Full, batchRows: 10);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);

        IngestionResult result = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        var snapshot = await bronze.SnapshotAsync();
        await bronze.ViewAsync();

        Assert.Equal(3L, result.Batches);
        Assert.Equal(0L, snapshot.Version);
        Assert.Equal(1L, snapshot.TransactionVersions[source.Key]);
        using JsonDocument domain = JsonDocument.Parse(snapshot.DomainMetadata["medallion.source.shop"]);
        Assert.Equal(source.Key, domain.RootElement.GetProperty("source").GetString());
        Assert.Equal("full", domain.RootElement.GetProperty("position").GetProperty("mode").GetString());
        Assert.Equal(25L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT id) FROM bronze WHERE name = 'n' || id AND _ingested_at IS NOT NULL")));
        Assert.Equal(["id", "name", "_ingested_at"], snapshot.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task A_second_full_load_replaces_the_rows_and_counts_the_next_batch()
    {
        await database.ExecuteAsync("CREATE TABLE replaced (id int PRIMARY KEY); INSERT INTO replaced VALUES (1), (2)");
        PostgresSource source = Source("replaced", IngestionMode.Full);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        await database.ExecuteAsync("DELETE FROM replaced WHERE id = 1; INSERT INTO replaced VALUES (3)");
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal([2, 3], target.Column<int>("SELECT id FROM bronze ORDER BY id"));
        Assert.Equal(2L, (await bronze.SnapshotAsync()).TransactionVersions[source.Key]);
    }

    [Fact]
    public async Task Incremental_runs_resume_from_the_position_in_the_table_and_commit_each_batch()
    {
        await database.ExecuteAsync("CREATE TABLE inc (id int PRIMARY KEY, updated_at int); INSERT INTO inc SELECT g, g FROM generate_series(1, 5) g");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        IngestionResult first = await IngestionRunner.RunAsync(Source("inc", IngestionMode.Incremental, 2, cursor: "updated_at"), bronze.Sink(), target.Connection);

        await database.ExecuteAsync("INSERT INTO inc VALUES (6, 5), (7, 9); UPDATE inc SET updated_at = 10 WHERE id = 1");
        // A new source and sink, as after a restart: the position comes from the table.
        IngestionResult second = await IngestionRunner.RunAsync(Source("inc", IngestionMode.Incremental, 2, cursor: "updated_at"), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal((3L, 5L), (first.Batches, first.Rows));
        Assert.Equal(3L, second.Rows);
        Assert.Equal([1, 1, 2, 3, 4, 5, 6, 7], target.Column<int>("SELECT id FROM bronze ORDER BY id"));
        Snapshot snapshot = await bronze.SnapshotAsync();
        Assert.Equal(5L, snapshot.Version + 1);
        Assert.Equal(5L, snapshot.TransactionVersions.Values.Single());
    }

    [Fact]
    public async Task Cdc_lands_the_snapshot_then_changes_with_their_metadata_and_acknowledges_after_the_commit()
    {
        await database.ExecuteAsync("CREATE TABLE cdc_items (id int PRIMARY KEY, qty int); INSERT INTO cdc_items VALUES (1, 10), (2, 20)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("cdc_items", IngestionMode.Cdc), bronze.Sink(), target.Connection);

        await database.ExecuteAsync("UPDATE cdc_items SET qty = 11 WHERE id = 1; DELETE FROM cdc_items WHERE id = 2");
        await database.ExecuteAsync("INSERT INTO cdc_items VALUES (3, 30)");
        IngestionResult changes = await IngestionRunner.RunAsync(Source("cdc_items", IngestionMode.Cdc), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();
        object? confirmed = await database.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{database.Name}_cdc_items'");

        Assert.Equal(["snapshot 1 10", "snapshot 2 20", "update 1 11", "delete 2 ", "insert 3 30"],
            target.Column<string>("SELECT _op || ' ' || id || ' ' || coalesce(qty::VARCHAR, '') FROM bronze ORDER BY _lsn, _seq, id"));
        Assert.Equal(0L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM bronze WHERE _op <> 'snapshot' AND (_commit_ts IS NULL OR _txid IS NULL OR _ingested_at IS NULL)")));
        // At least the committed position; beyond it when a server heartbeat reported later WAL (other tables').
        Assert.True(Convert.ToDecimal(confirmed) >= changes.Position!.Lsn!.Value, $"The slot was confirmed at {confirmed}, before the committed {changes.Position}.");
        Assert.Equal(changes.Position, await bronze.Sink().GetCommittedPositionAsync(Source("cdc_items", IngestionMode.Cdc).Key));
    }

    [Fact]
    public async Task A_column_added_to_the_source_is_added_to_bronze_on_the_next_run()
    {
        await database.ExecuteAsync("CREATE TABLE widening (id int PRIMARY KEY); INSERT INTO widening VALUES (1)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("widening", IngestionMode.Cdc), bronze.Sink(), target.Connection);

        await database.ExecuteAsync("ALTER TABLE widening ADD COLUMN note text; INSERT INTO widening VALUES (2, 'new')");
        await IngestionRunner.RunAsync(Source("widening", IngestionMode.Cdc), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(["1 ", "2 new"], target.Column<string>("SELECT id || ' ' || coalesce(note, '') FROM bronze ORDER BY id"));
    }

    [Fact]
    public async Task A_failed_full_load_leaves_the_table_version_unchanged()
    {
        await database.ExecuteAsync("CREATE TABLE interrupted (id int PRIMARY KEY); INSERT INTO interrupted SELECT generate_series(1, 30)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("interrupted", IngestionMode.Full), bronze.Sink(), target.Connection);

        using var cancel = new CancellationTokenSource();
        var sink = new CancellingSink(bronze.Sink(), cancel, afterBatches: 2);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => IngestionRunner.RunAsync(Source("interrupted", IngestionMode.Full, batchRows: 10), sink, target.Connection, cancel.Token));

        Assert.Equal(0L, (await bronze.SnapshotAsync()).Version);
    }

    [Fact]
    public async Task A_second_process_committing_the_same_batch_is_refused_with_a_clear_error()
    {
        await database.ExecuteAsync("CREATE TABLE raced (id int PRIMARY KEY, updated_at int); INSERT INTO raced VALUES (1, 1)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        PostgresSource source = Source("raced", IngestionMode.Incremental, cursor: "updated_at");
        BronzeSink slow = bronze.Sink();
        await slow.GetCommittedPositionAsync(source.Key);

        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        var error = await Assert.ThrowsAsync<MedallionException>(async () =>
        {
            await foreach (SourceBatch batch in source.ReadAsync(target.Connection, null))
            {
                await slow.WriteBatchAsync(source.Key, batch);
            }
        });

        Assert.Equal(ErrorCode.SourceConcurrentIngestion, error.Code);
        Assert.Contains("Source 'shop': another process committed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quiet_table_lets_its_slot_advance_past_the_wal_other_tables_write()
    {
        await database.ExecuteAsync("CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE busy (id int)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("quiet", IngestionMode.Cdc), bronze.Sink(), target.Connection);

        await database.ExecuteAsync("INSERT INTO busy SELECT generate_series(1, 20000)");
        decimal written = Convert.ToDecimal(await database.ScalarAsync("SELECT (pg_current_wal_lsn() - '0/0')::bigint"));
        // The server decodes the other table's WAL before it can confirm past it: under load that takes longer than the
        // usual half second of quiet that ends a read, so this read waits longer.
        IngestionResult quiet = await IngestionRunner.RunAsync(Source("quiet", IngestionMode.Cdc, changeWaitMs: 5000), bronze.Sink(), target.Connection);
        decimal confirmed = Convert.ToDecimal(await database.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{database.Name}_quiet'"));

        Assert.Equal(0L, quiet.Rows);
        Assert.True(confirmed >= written, $"The slot stayed at {confirmed}, behind the WAL written by the other table ({written}); the bronze position is {quiet.Position}.");
    }

    [Fact]
    public async Task A_quiet_table_lets_its_slot_advance_past_the_wal_another_database_writes()
    {
        await database.ExecuteAsync("CREATE TABLE lonely (id int PRIMARY KEY)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("lonely", IngestionMode.Cdc), bronze.Sink(), target.Connection);

        // WAL written by another database of the cluster: pgoutput never sends anything of it.
        string other = database.Name + "_other";
        await OnServerAsync($"CREATE DATABASE {other}");
        try
        {
            await OnServerAsync("CREATE TABLE noise (id int); INSERT INTO noise SELECT generate_series(1, 50000)", other);
            decimal written = Convert.ToDecimal(await database.ScalarAsync("SELECT (pg_current_wal_lsn() - '0/0')::bigint"));
            IngestionResult quiet = await IngestionRunner.RunAsync(Source("lonely", IngestionMode.Cdc, changeWaitMs: 5000), bronze.Sink(), target.Connection);
            decimal confirmed = Convert.ToDecimal(await database.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{database.Name}_lonely'"));

            Assert.Equal(0L, quiet.Rows);
            Assert.True(confirmed >= written, $"The slot stayed {written - confirmed} bytes behind the WAL the other database wrote.");
        }
        finally
        {
            await OnServerAsync($"DROP DATABASE IF EXISTS {other} WITH (FORCE)");
        }
    }

    private async Task OnServerAsync(string sql, string databaseName = "postgres")
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = databaseName }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_column_added_while_ingesting_lands_with_the_rows_before_and_after_it_also_across_a_restart()
    {
        await database.ExecuteAsync("CREATE TABLE grown (id int PRIMARY KEY, qty int)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("grown", IngestionMode.Cdc), bronze.Sink(), target.Connection);
        await database.ExecuteAsync("INSERT INTO grown VALUES (1, 10)");

        using var cancel = new CancellationTokenSource();
        var sink = new HookSink(bronze.Sink(), async batches =>
        {
            if (batches == 1)
            {
                await database.ExecuteAsync("BEGIN; INSERT INTO grown VALUES (2, 20); ALTER TABLE grown ADD COLUMN note text; INSERT INTO grown VALUES (3, 30, 'three'); COMMIT");
                await database.ExecuteAsync("INSERT INTO grown VALUES (4, 40, 'four')");
            }
            else
            {
                // Stops after the first batch with the new column: the rest comes with the next process.
                await cancel.CancelAsync();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => IngestionRunner.RunAsync(Source("grown", IngestionMode.Cdc, batchRows: 1, changeWaitMs: 3000), sink, target.Connection, cancel.Token));
        await bronze.ViewAsync("before_restart");
        await database.ExecuteAsync("UPDATE grown SET note = 'one' WHERE id = 1");
        // Under load the server may pause longer than the usual half second between the row left over and the update.
        await IngestionRunner.RunAsync(Source("grown", IngestionMode.Cdc, changeWaitMs: 3000), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(["insert 1 10 -", "insert 2 20 -", "insert 3 30 three"], target.Column<string>("SELECT concat_ws(' ', _op, id, qty, coalesce(note, '-')) FROM before_restart ORDER BY _lsn, _seq"));
        Assert.Equal(
            ["insert 1 10 -", "insert 2 20 -", "insert 3 30 three", "insert 4 40 four", "update 1 10 one"],
            target.Column<string>("SELECT concat_ws(' ', _op, id, qty, coalesce(note, '-')) FROM bronze ORDER BY _lsn, _seq"));
        Assert.Contains("_before_note", (await bronze.SnapshotAsync()).Schema.Fields.Select(f => f.Name));
    }

    /// <summary>Passes batches on and runs an action after each (given how many were written so far).</summary>
    private sealed class HookSink(IBatchSink inner, Func<int, Task> afterBatch) : IBatchSink
    {
        private int _batches;

        public Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default) => inner.GetCommittedPositionAsync(sourceKey, cancellationToken);

        public async Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default)
        {
            await inner.WriteBatchAsync(sourceKey, batch, cancellationToken);
            await afterBatch(++_batches);
        }

        public Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default) => inner.CompleteAsync(sourceKey, position, cancellationToken);
    }

    /// <summary>Passes batches on, then cancels the run after some: a stream that ends by failure.</summary>
    private sealed class CancellingSink(IBatchSink inner, CancellationTokenSource cancel, int afterBatches) : IBatchSink
    {
        private int _batches;

        public Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default) => inner.GetCommittedPositionAsync(sourceKey, cancellationToken);

        public async Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default)
        {
            await inner.WriteBatchAsync(sourceKey, batch, cancellationToken);
            if (++_batches == afterBatches)
            {
                await cancel.CancelAsync();
            }
        }

        public Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default) => inner.CompleteAsync(sourceKey, position, cancellationToken);
    }
}
