namespace Medallion.Ingestion.Tests;

/// <summary>
/// What change data capture promises whatever the database: a first read is a snapshot and then the changes after it;
/// inserts, updates and deletes arrive in commit order with their before-images; batches end only between
/// transactions; a restart resumes right after what bronze committed, losing and repeating nothing. One subclass per
/// database runs them against a real server; what really differs between databases stays in their own test classes.
/// </summary>
public abstract class CdcContractTests
{
    /// <summary>The change-stream columns each change carries after <c>_op</c>, in order (position, order within it, commit time, transaction).</summary>
    protected abstract IReadOnlyList<string> StreamColumns { get; }

    /// <summary>The column naming a change's transaction.</summary>
    protected abstract string TransactionColumn { get; }

    /// <summary>An <c>ORDER BY</c> list that sorts changes in commit order.</summary>
    protected abstract string CommitOrder { get; }

    /// <summary>Columns the database adds after the before-images, if any.</summary>
    protected virtual IReadOnlyList<string> TrailingColumns => [];

    /// <summary>Runs statements on the test database (each call one transaction, unless the text says otherwise).</summary>
    protected abstract Task ExecuteAsync(string sql);

    /// <summary>A CDC source of <paramref name="table"/>, with state of its own, as a new process would have.</summary>
    /// <param name="table">The table.</param>
    /// <param name="batchRows">The most rows a batch holds (a transaction is never split).</param>
    /// <param name="changeWaitMs">How long the stream stays quiet before a read ends.</param>
    protected abstract IIngestionSource Source(string table, int batchRows = 1000, int changeWaitMs = 500);

    /// <summary>Makes updates and deletes of <paramref name="table"/> log the whole old row (nothing to do where every change does).</summary>
    protected abstract Task FullBeforeImagesAsync(string table);

    /// <summary>Where in the change stream a position is (the snapshot's batches all share it).</summary>
    protected abstract object StreamPoint(SourcePosition position);

    [Fact]
    public async Task First_read_delivers_a_snapshot_then_the_changes_after_it()
    {
        await ExecuteAsync("CREATE TABLE stock (id int PRIMARY KEY, qty int); INSERT INTO stock VALUES (1, 10), (2, 20), (3, 30)");
        IIngestionSource source = Source("stock", batchRows: 2);
        using var target = new DuckDbTarget();

        List<SourceBatch> snapshot = await target.CollectAsync(source, after: null);
        await ExecuteAsync("UPDATE stock SET qty = 11 WHERE id = 1");
        await target.CollectAsync(source, snapshot[^1].Position, "changes");

        Assert.Equal([(2L, false), (1L, false), (0L, true)], snapshot.Select(b => (b.RowCount, b.IsCommitPoint)));
        Assert.All(snapshot, b => Assert.Equal(StreamPoint(snapshot[^1].Position), StreamPoint(b.Position)));
        Assert.Equal(["snapshot"], target.Column<string>("SELECT DISTINCT _op FROM collected"));
        Assert.Equal([10, 20, 30], target.Column<int>("SELECT qty FROM collected ORDER BY id"));
        Assert.Equal(["update 1 11"], target.Column<string>("SELECT _op || ' ' || id || ' ' || qty FROM changes"));
    }

    [Fact]
    public async Task Inserts_updates_and_deletes_arrive_in_commit_order_with_their_before_images()
    {
        await ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, name varchar(20), qty int)");
        await FullBeforeImagesAsync("items");
        IIngestionSource source = Source("items");
        using var target = new DuckDbTarget();
        SourcePosition start = (await target.CollectAsync(source, after: null, "snapshot"))[^1].Position;

        await ExecuteAsync("INSERT INTO items VALUES (1, 'pen ✓', 10), (2, 'ink', 20)");
        await ExecuteAsync("UPDATE items SET qty = 11, name = 'pen' WHERE id = 1");
        await ExecuteAsync("DELETE FROM items WHERE id = 2");
        List<SourceBatch> batches = await target.CollectAsync(source, start);

        Assert.Equal(
            ["insert 1 pen ✓ 10 | - - -", "insert 2 ink 20 | - - -", "update 1 pen 11 | 1 pen ✓ 10", "delete 2 ink 20 | 2 ink 20"],
            target.Column<string>($"SELECT concat_ws(' ', _op, id, name, qty) || ' | ' || concat_ws(' ', coalesce(_before_id::VARCHAR, '-'), coalesce(_before_name, '-'), coalesce(_before_qty::VARCHAR, '-')) FROM collected ORDER BY {CommitOrder}"));
        Assert.Equal(3L, Convert.ToInt64(target.Scalar($"SELECT count(DISTINCT {TransactionColumn}) FROM collected")));
        Assert.Equal(0L, Convert.ToInt64(target.Scalar($"SELECT count(*) FROM collected WHERE {string.Join(" OR ", StreamColumns.Select(c => c + " IS NULL"))}")));
        Assert.Equal(["_op", .. StreamColumns, "id", "name", "qty", "_before_id", "_before_name", "_before_qty", .. TrailingColumns], batches[0].Columns.Select(c => c.Name));
        Assert.All(batches, b => Assert.True(b.IsCommitPoint));
        Assert.Equal(IngestionMode.Cdc, batches[^1].Position.Mode);
    }

    [Fact]
    public async Task Batches_end_only_between_transactions()
    {
        await ExecuteAsync("CREATE TABLE bulk (id int PRIMARY KEY)");
        IIngestionSource source = Source("bulk", batchRows: 2);
        using var target = new DuckDbTarget();
        SourcePosition start = (await target.CollectAsync(source, after: null, "snapshot"))[^1].Position;

        // Three transactions: 3 rows, then 1 (the batch of 2 is full only after it), then 2.
        await ExecuteAsync("INSERT INTO bulk VALUES (1), (2), (3)");
        await ExecuteAsync("INSERT INTO bulk VALUES (4)");
        await ExecuteAsync("INSERT INTO bulk VALUES (5), (6)");
        List<SourceBatch> batches = await target.CollectAsync(source, start);

        Assert.Equal([3L, 3L], batches.Select(b => b.RowCount));
        Assert.Equal([1, 2, 3, 4, 5, 6], target.Column<int>($"SELECT id FROM collected ORDER BY {CommitOrder}"));
    }

    [Fact]
    public async Task A_restart_resumes_from_the_committed_position_without_loss_or_repeat()
    {
        await ExecuteAsync("CREATE TABLE resumed (id int PRIMARY KEY)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        await IngestionRunner.RunAsync(Source("resumed"), bronze.Sink(), target.Connection);
        IIngestionSource first = Source("resumed");
        await ExecuteAsync("INSERT INTO resumed VALUES (1)");
        await ExecuteAsync("INSERT INTO resumed VALUES (2)");
        await IngestionRunner.RunAsync(first, bronze.Sink(), target.Connection);

        // A new process: a fresh source and sink, with only what bronze committed.
        await ExecuteAsync("INSERT INTO resumed VALUES (3)");
        await ExecuteAsync("DELETE FROM resumed WHERE id = 1");
        // A resumed stream may decode the delivered changes again to skip them, which under load outlasts half a second of quiet.
        IngestionResult restarted = await IngestionRunner.RunAsync(Source("resumed", changeWaitMs: 5000), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(2L, restarted.Rows);
        Assert.Equal(["insert 1", "insert 2", "insert 3", "delete 1"], target.Column<string>($"SELECT _op || ' ' || id FROM bronze WHERE _op <> 'snapshot' ORDER BY {CommitOrder}"));
    }
}

/// <summary>The CDC contract against PostgreSQL (logical replication, pgoutput).</summary>
public sealed class PostgresCdcContractTests(PostgresDatabase database) : CdcContractTests, IClassFixture<PostgresDatabase>
{
    protected override IReadOnlyList<string> StreamColumns => ["_lsn", "_seq", "_commit_ts", "_txid"];

    protected override string TransactionColumn => "_txid";

    protected override string CommitOrder => "_lsn, _seq";

    protected override IReadOnlyList<string> TrailingColumns => ["_unchanged_toast"];

    protected override Task ExecuteAsync(string sql) => database.ExecuteAsync(sql);

    protected override IIngestionSource Source(string table, int batchRows = 1000, int changeWaitMs = 500) =>
        new PostgresSource(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = IngestionMode.Cdc,
            ReplicationSlot = $"{database.Name}_{table}",
            BatchRows = batchRows,
            ChangeWait = TimeSpan.FromMilliseconds(changeWaitMs),
        });

    protected override Task FullBeforeImagesAsync(string table) => database.ExecuteAsync($"ALTER TABLE {table} REPLICA IDENTITY FULL");

    protected override object StreamPoint(SourcePosition position) => position.Lsn!;
}

/// <summary>The CDC contract against MariaDB (a ROW binlog with FULL images, as the test server writes).</summary>
public sealed class MySqlCdcContractTests(MySqlDatabase database) : CdcContractTests, IClassFixture<MySqlDatabase>
{
    protected override IReadOnlyList<string> StreamColumns => ["_binlog_file", "_binlog_pos", "_seq", "_commit_ts", "_gtid"];

    protected override string TransactionColumn => "_gtid";

    protected override string CommitOrder => "_binlog_file, _binlog_pos, _seq";

    protected override Task ExecuteAsync(string sql) => database.ExecuteAsync(sql);

    protected override IIngestionSource Source(string table, int batchRows = 1000, int changeWaitMs = 500) =>
        new MySqlSource(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = IngestionMode.Cdc,
            BatchRows = batchRows,
            ChangeWait = TimeSpan.FromMilliseconds(changeWaitMs),
        });

    // Every change in a FULL row-image binlog carries the whole old row.
    protected override Task FullBeforeImagesAsync(string table) => Task.CompletedTask;

    protected override object StreamPoint(SourcePosition position) => (position.BinlogFile, position.BinlogPosition);
}
