namespace Medallion.Ingestion.Tests;

/// <summary>
/// Change data capture of MariaDB tables from the binlog (the test server writes a ROW binlog with FULL images): what
/// is MariaDB's own (binlog settings, lag, purged files, rotation, column changes refused). What every database
/// promises is in <see cref="CdcContractTests"/>.
/// </summary>
public sealed class MySqlCdcTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>
{
    private MySqlSource Source(string table, int batchRows = 1000, int changeWaitMs = 500) =>
        new(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "shop",
            Table = table,
            Mode = IngestionMode.Cdc,
            BatchRows = batchRows,
            ChangeWait = TimeSpan.FromMilliseconds(changeWaitMs),
        });

    [Fact]
    public async Task Changes_written_during_the_snapshot_are_neither_lost_nor_doubled()
    {
        await database.ExecuteAsync("CREATE TABLE busy (id int PRIMARY KEY, v int NOT NULL); INSERT INTO busy (id, v) SELECT seq, 0 FROM seq_1_to_3000");
        MySqlSource source = Source("busy", batchRows: 500);
        using var target = new DuckDbTarget();
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await database.ExecuteAsync($"UPDATE busy SET v = v + 1 WHERE id = {(i * 7 % 3000) + 1}");
            }
        });

        SourcePosition? reached = null;
        await foreach (SourceBatch batch in source.ReadAsync(target.Connection, after: null))
        {
            target.Execute(reached is null ? $"CREATE TABLE collected AS SELECT * FROM {batch.Relation}" : $"INSERT INTO collected SELECT * FROM {batch.Relation}");
            reached = batch.Position;
            if (batch.IsCommitPoint && batch.RowCount == 0)
            {
                // The snapshot is in: the writer stops, so the stream can drain.
                await stop.CancelAsync();
            }
        }

        await writer;
        await target.CollectAsync(source, reached);

        // Replaying bronze in its order gives each row's last value, which must be the table's.
        List<string> replayed = target.Column<string>("SELECT id || ':' || v FROM collected QUALIFY row_number() OVER (PARTITION BY id ORDER BY _op = 'snapshot', _binlog_file DESC, _binlog_pos DESC, _seq DESC) = 1 ORDER BY id");
        Assert.Equal(await database.TextsAsync("SELECT CONCAT(id, ':', v) FROM busy ORDER BY id"), replayed);
        Assert.Equal(3000L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected WHERE _op = 'snapshot'")));
        Assert.True(Convert.ToInt64(target.Scalar("SELECT count(*) FROM collected WHERE _op = 'update'")) > 0, "The writer changed nothing while the snapshot was read.");
    }

    [Fact]
    public async Task Binlog_lag_counts_the_binlog_written_after_the_committed_position()
    {
        await database.ExecuteAsync("CREATE TABLE lagging (id int PRIMARY KEY); CREATE TABLE elsewhere (id int PRIMARY KEY, note varchar(100))");
        MySqlSource source = Source("lagging");
        using var target = new DuckDbTarget();
        using var sink = new ParquetTestSink(target);
        IngestionResult result = await IngestionRunner.RunAsync(source, sink, target.Connection);
        long before = (await source.GetBinlogLagBytesAsync(result.Position))!.Value;

        await database.ExecuteAsync($"INSERT INTO elsewhere VALUES (1, '{new string('x', 100)}')");
        long after = (await source.GetBinlogLagBytesAsync(result.Position))!.Value;

        Assert.True(after >= before + 100, $"The lag went from {before} to {after} bytes.");
        Assert.Null(await source.GetBinlogLagBytesAsync(null));
    }

    [Fact]
    public async Task A_position_whose_binlog_file_was_purged_is_refused_clearly()
    {
        await database.ExecuteAsync("CREATE TABLE purged (id int PRIMARY KEY)");
        var gone = SourcePosition.Parse("""{"v":1,"mode":"cdc","rows":0,"binlogFile":"binlog.999999","binlogPos":4,"cursorColumns":[],"cursor":[],"boundaryKeys":[]}""");
        using var target = new DuckDbTarget();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(Source("purged"), gone));

        Assert.Equal(ErrorCode.SourceChangeLogPurged, error.Code);
        Assert.StartsWith($"Source 'shop': the binlog file 'binlog.999999' that the changes of table '{database.Name}.purged' continue from (position 4) is no longer on the server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_column_change_of_the_table_while_streaming_is_reported_clearly()
    {
        await database.ExecuteAsync("CREATE TABLE altered (id int PRIMARY KEY, v int)");
        MySqlSource source = Source("altered", batchRows: 1);
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("INSERT INTO altered VALUES (1, 1)");
        var batches = new List<SourceBatch>();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(async () =>
        {
            await foreach (SourceBatch batch in source.ReadAsync(target.Connection, start))
            {
                batches.Add(batch);
                await database.ExecuteAsync("ALTER TABLE altered ADD COLUMN note varchar(10); INSERT INTO altered VALUES (2, 2, 'two')");
            }
        });

        Assert.Equal([1L], batches.Select(b => b.RowCount));
        Assert.Equal(ErrorCode.SourceTableChanged, error.Code);
        Assert.Matches($@"^Source 'shop': table '{database.Name}.altered' changed while its changes were streamed \(binlog [^ ]+ at \d+\): 'ALTER TABLE altered ADD COLUMN note varchar\(10\)' changed its columns from \(id int\(11\), v int\(11\)\) to \(id int\(11\), v int\(11\), note varchar\(10\)\)\.\nHelp: ", error.Message);
    }

    [Fact]
    public async Task Rows_logged_with_other_columns_than_the_table_has_now_are_refused_not_misread()
    {
        await database.ExecuteAsync("CREATE TABLE reshaped (id int PRIMARY KEY, v int)");
        MySqlSource source = Source("reshaped");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        // Both before the next run: it describes the table with the new column, then reads a row logged without it.
        await database.ExecuteAsync("INSERT INTO reshaped VALUES (1, 1)");
        await database.ExecuteAsync("ALTER TABLE reshaped ADD COLUMN note varchar(10)");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, start));

        Assert.Equal(ErrorCode.SourceTableChanged, error.Code);
        Assert.Contains("its rows in the binlog have 2 columns where the stream reads 3 (the table's columns when the stream started).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alter_that_keeps_the_columns_does_not_stop_the_stream()
    {
        await database.ExecuteAsync("CREATE TABLE indexed (id int PRIMARY KEY, v int)");
        MySqlSource source = Source("indexed");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("ALTER TABLE indexed ADD INDEX by_v (v)");
        await database.ExecuteAsync("INSERT INTO indexed VALUES (1, 1)");

        await target.CollectAsync(source, start);

        Assert.Equal(["insert 1"], target.Column<string>("SELECT _op || ' ' || id FROM collected"));
    }

    [Fact]
    public async Task A_truncate_of_the_table_while_streaming_is_reported_clearly()
    {
        await database.ExecuteAsync("CREATE TABLE emptied (id int PRIMARY KEY)");
        MySqlSource source = Source("emptied");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("TRUNCATE TABLE emptied");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, start));

        Assert.Equal(ErrorCode.SourceTableChanged, error.Code);
        Assert.Contains("'TRUNCATE TABLE emptied'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binlog_rotation_while_streaming_continues_in_the_next_file()
    {
        await database.ExecuteAsync("CREATE TABLE rotated (id int PRIMARY KEY)");
        MySqlSource source = Source("rotated");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("INSERT INTO rotated VALUES (1)");
        await database.ExecuteAsync("FLUSH BINARY LOGS");
        await database.ExecuteAsync("INSERT INTO rotated VALUES (2)");

        List<SourceBatch> batches = await target.CollectAsync(source, start);

        Assert.Equal(["insert 1", "insert 2"], target.Column<string>("SELECT _op || ' ' || id FROM collected ORDER BY _binlog_file, _binlog_pos, _seq"));
        Assert.Equal(2L, Convert.ToInt64(target.Scalar("SELECT count(DISTINCT _binlog_file) FROM collected")));
        Assert.NotEqual(start.BinlogFile, batches[^1].Position.BinlogFile);
    }

    [Fact]
    public async Task A_login_without_replication_privileges_is_refused_naming_the_grant()
    {
        await database.ExecuteAsync("CREATE TABLE guarded (id int PRIMARY KEY)");
        string user = "medallion_nr_" + Guid.NewGuid().ToString("N")[..8];
        await database.ExecuteAsync($"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT SELECT ON {database.Name}.* TO '{user}'@'127.0.0.1'");
        try
        {
            var connection = new MySql.Data.MySqlClient.MySqlConnectionStringBuilder(database.ConnectionString) { UserID = user, Password = "pw" };
            var source = new MySqlSource(connection.ConnectionString, new SourceTableOptions { SourceName = "shop", Table = "guarded", Mode = IngestionMode.Cdc });
            using var target = new DuckDbTarget();

            MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, after: null));

            Assert.Equal(ErrorCode.SourceChangeLogUnavailable, error.Code);
            Assert.Contains($"change data capture cannot read the binlog of {connection.Server}:{connection.Port}: user '{user}' may not read it (", error.Message, StringComparison.Ordinal);
            Assert.Contains($"\nHelp: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{user}'@'<host>'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await database.ExecuteAsync($"DROP USER '{user}'@'127.0.0.1'");
        }
    }

    [Fact]
    public async Task An_update_logged_without_every_column_is_refused_not_written_with_nulls()
    {
        await database.ExecuteAsync("CREATE TABLE minimal (id int PRIMARY KEY, a int, b int); INSERT INTO minimal VALUES (1, 1, 1)");
        MySqlSource source = Source("minimal");
        using var target = new DuckDbTarget();
        SourcePosition start = await SnapshotAsync(source, target);
        await database.ExecuteAsync("SET SESSION binlog_row_image = 'MINIMAL'; UPDATE minimal SET a = 2 WHERE id = 1");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => target.CollectAsync(source, start));

        Assert.Equal(ErrorCode.SourceChangeLogUnavailable, error.Code);
        Assert.Contains($"a change of table '{database.Name}.minimal' (binlog ", error.Message, StringComparison.Ordinal);
        Assert.Contains(") was logged without every column (the writing session's binlog_row_image is not FULL).", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "ROW", "FULL", "the binary log is off (log_bin = OFF)")]
    [InlineData(true, "STATEMENT", "FULL", "binlog_format is STATEMENT, and only ROW logs the changed rows")]
    [InlineData(true, "MIXED", "FULL", "binlog_format is MIXED, and only ROW logs the changed rows")]
    [InlineData(true, "ROW", "MINIMAL", "binlog_row_image is MINIMAL, so updates and deletes do not log every column")]
    public void A_server_without_a_full_row_binlog_is_refused_naming_the_setting(bool logBin, string format, string rowImage, string what)
    {
        MedallionException? error = MySqlSource.CheckBinlogSettings("shop", "db:3306", logBin, format, rowImage);

        Assert.Equal(ErrorCode.SourceChangeLogUnavailable, error?.Code);
        Assert.StartsWith($"Source 'shop': change data capture cannot read the binlog of db:3306: {what}.\nHelp: ", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_with_a_full_row_binlog_is_accepted() =>
        Assert.Null(MySqlSource.CheckBinlogSettings("shop", "db:3306", true, "ROW", "FULL"));

    private static async Task<SourcePosition> SnapshotAsync(MySqlSource source, DuckDbTarget target)
    {
        List<SourceBatch> batches = await target.CollectAsync(source, after: null, "snapshot");
        return batches[^1].Position;
    }
}
