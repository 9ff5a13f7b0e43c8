using System.Text.Json;
using Medallion.Delta;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;

namespace Medallion.Engine.Tests.Writing;

public sealed class WriteTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Create_table_commits_version_0_with_the_lowest_protocol_and_the_schema()
    {
        string path = _f.TablePath();
        DeltaOperationResult result = await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL, name string, ts timestamp, d date, amount decimal(10,2)")
        {
            PartitionBy = ["d"],
        });

        Assert.Equal(0, result.Version);
        Snapshot s = await _f.SnapshotAsync(path);
        Assert.Equal(1, s.Protocol.MinReaderVersion);
        Assert.Equal(1, s.Protocol.MinWriterVersion);
        Assert.Equal(["d"], s.PartitionColumns);
        Assert.Equal("struct<id:long,name:string,ts:timestamp,d:date,amount:decimal(10,2)>", s.Schema.ToString());
        Assert.False(s.Schema.Fields[0].Nullable);
        Assert.Empty(await _f.ReadAsync(path));
    }

    [Theory]
    [InlineData(DeltaWriteMode.Append)]
    [InlineData(DeltaWriteMode.Overwrite)]
    public async Task A_write_cancelled_while_its_query_runs_throws_operation_canceled_and_leaves_the_table_at_its_previous_version(DeltaWriteMode mode)
    {
        string path = _f.TablePath();
        DeltaOperationResult before = await _f.Writer.WriteAsync(path, "SELECT i AS id FROM range(3) t(i)");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        // Runs for minutes unless cancelled; bounded so a cancellation that does not land fails instead of hanging.
        Task write = _f.Writer.WriteAsync(path, "SELECT count(*) AS id FROM range(1000000000000) t(i) WHERE i % 7 = 3", new DeltaWriteOptions { Mode = mode }, cancellation.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(before.Version, (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(["0", "1", "2"], await _f.ReadAsync(path));
        Assert.Single(Directory.GetFiles(Path.Combine(path, "_delta_log"), "*.json"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Every_file_and_folder_of_a_written_table_is_readable_by_its_owner_only()
    {
        string path = _f.TablePath("lake/sales/orders");
        await _f.Writer.WriteAsync(path, "SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS kind FROM range(5) t(i)", new DeltaWriteOptions { PartitionBy = ["kind"] });
        await _f.Writer.WriteAsync(path, "SELECT 7 AS id, 'odd' AS kind");

        var open = new List<string>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(Path.Combine(_f.Root, "lake"), "*", SearchOption.AllDirectories).Prepend(Path.Combine(_f.Root, "lake")))
        {
            UnixFileMode mode = File.GetUnixFileMode(entry);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            {
                open.Add($"{Path.GetRelativePath(_f.Root, entry)} {mode}");
            }
        }

        Assert.Contains(Directory.EnumerateFiles(path, "*.parquet", SearchOption.AllDirectories), file => file.Contains("kind=odd", StringComparison.Ordinal));
        Assert.Empty(open);
    }

    [Fact]
    public async Task Append_writes_rows_the_reader_returns_with_stats_and_partition_values()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id, 'n' || i AS name, CASE WHEN i % 2 = 0 THEN 'even' ELSE NULL END AS kind FROM range(5) t(i)",
            new DeltaWriteOptions { PartitionBy = ["kind"] });
        DeltaOperationResult second = await _f.Writer.WriteAsync(path, "SELECT 10 AS id, 'ten' AS name, 'a/b c%' AS kind");

        Assert.Equal(1, second.Version);
        Assert.Equal(["0|n0|even", "10|ten|a/b c%", "1|n1|∅", "2|n2|even", "3|n3|∅", "4|n4|even"], await _f.ReadAsync(path));
        string add = Array.Find(_f.LogLines(path, 1), l => l.StartsWith("{\"add\"", StringComparison.Ordinal))!;
        using JsonDocument doc = JsonDocument.Parse(add);
        JsonElement a = doc.RootElement.GetProperty("add");
        string logPath = a.GetProperty("path").GetString()!;
        Assert.True(logPath.StartsWith("kind=a%252Fb%2520c%2525/part-", StringComparison.Ordinal), logPath);
        Assert.Equal("a/b c%", a.GetProperty("partitionValues").GetProperty("kind").GetString());
        Assert.Equal("""{"numRecords":1,"minValues":{"id":10,"name":"ten"},"maxValues":{"id":10,"name":"ten"},"nullCount":{"id":0,"name":0}}""", a.GetProperty("stats").GetString());
        Assert.True(a.GetProperty("dataChange").GetBoolean());
    }

    [Fact]
    public async Task Null_partition_values_are_written_as_json_null()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, CAST(NULL AS VARCHAR) AS p", new DeltaWriteOptions { PartitionBy = ["p"] });

        string add = Array.Find(_f.LogLines(path, 0), l => l.StartsWith("{\"add\"", StringComparison.Ordinal))!;
        Assert.Contains("\"partitionValues\":{\"p\":null}", add, StringComparison.Ordinal);
        Assert.Equal(["1|∅"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Commit_info_records_operation_parameters_metrics_and_engine()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");
        await _f.Writer.WriteAsync(path, "SELECT 2 AS id");

        using JsonDocument doc = JsonDocument.Parse(_f.LogLines(path, 1)[0]);
        JsonElement info = doc.RootElement.GetProperty("commitInfo");
        Assert.Equal("WRITE", info.GetProperty("operation").GetString());
        Assert.Equal("Append", info.GetProperty("operationParameters").GetProperty("mode").GetString());
        Assert.Equal("1", info.GetProperty("operationMetrics").GetProperty("numOutputRows").GetString());
        Assert.StartsWith("Medallion/", info.GetProperty("engineInfo").GetString(), StringComparison.Ordinal);
        Assert.True(info.GetProperty("isBlindAppend").GetBoolean());
        Assert.Equal(0, info.GetProperty("readVersion").GetInt64());
        Assert.True(info.GetProperty("timestamp").GetInt64() > 0);
    }

    [Fact]
    public async Task A_writer_for_a_run_names_the_run_and_its_job_in_each_commit_info_as_databricks_does()
    {
        string path = _f.TablePath();
        var writer = new DeltaWriter(_f.Connection) { CommitJob = new Delta.Actions.CommitJob("0193a1b2c3d4e5f60718293a4b5c6d7e", "orders") };
        await writer.WriteAsync(path, "SELECT 1 AS id");

        using JsonDocument doc = JsonDocument.Parse(_f.LogLines(path, 0)[0]);
        JsonElement job = doc.RootElement.GetProperty("commitInfo").GetProperty("job");
        Assert.Equal(("orders", "orders", "0193a1b2c3d4e5f60718293a4b5c6d7e"), (job.GetProperty("jobId").GetString(), job.GetProperty("jobName").GetString(), job.GetProperty("runId").GetString()));
        CommitEntry commit = await _f.Open(path).GetHistoryAsync().SingleAsync();
        Assert.Equal(new Delta.Actions.CommitJob("0193a1b2c3d4e5f60718293a4b5c6d7e", "orders"), commit.CommitInfo!.Job);
    }

    [Fact]
    public async Task Metrics_given_to_a_write_are_recorded_in_its_commit_info_next_to_the_writers_own()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", new DeltaWriteOptions { Metrics = new Dictionary<string, string> { ["approxDistinct.id"] = "1" } });

        using JsonDocument doc = JsonDocument.Parse(_f.LogLines(path, 0)[0]);
        JsonElement metrics = doc.RootElement.GetProperty("commitInfo").GetProperty("operationMetrics");
        Assert.Equal(("1", "1"), (metrics.GetProperty("approxDistinct.id").GetString(), metrics.GetProperty("numOutputRows").GetString()));
    }

    [Fact]
    public async Task A_write_refuses_a_metric_it_sets_itself()
    {
        var options = new DeltaWriteOptions { Metrics = new Dictionary<string, string> { ["numOutputRows"] = "7" } };

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _f.Writer.WriteAsync(_f.TablePath(), "SELECT 1 AS id", options));

        Assert.Contains("'numOutputRows'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overwrite_replaces_every_row()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id FROM range(3) t(i)");
        DeltaOperationResult result = await _f.Writer.WriteAsync(path, "SELECT 7 AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });

        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(["7"], await _f.ReadAsync(path));
        Assert.Equal(["0", "1", "2"], await _f.ReadAsync(path, version: 0));
    }

    [Fact]
    public async Task ReplaceWhere_replaces_only_the_matching_partition()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id, CASE WHEN i < 2 THEN 'a' ELSE 'b' END AS p FROM range(4) t(i)", new DeltaWriteOptions { PartitionBy = ["p"] });
        await _f.Writer.WriteAsync(path, "SELECT 9 AS id, 'a' AS p", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite, ReplaceWhere = "p = 'a'" });

        Assert.Equal(["2|b", "3|b", "9|a"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task ReplaceWhere_refuses_rows_outside_the_predicate_and_leaves_the_table_unchanged()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, 'a' AS p", new DeltaWriteOptions { PartitionBy = ["p"] });

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT 2 AS id, 'b' AS p",
            new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite, ReplaceWhere = "p = 'a'" }));

        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);
        Assert.Contains("does not match replaceWhere (p = 'a')", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task Write_with_an_incompatible_type_is_refused_naming_the_column_and_types()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, name string"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT 'x' AS id, 'y' AS name"));

        Assert.Equal(ErrorCode.DeltaSchemaMismatch, error.Code);
        Assert.Contains("'id': the table has long, the data has string (VARCHAR)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task A_timestamp_without_time_zone_written_into_a_timestamp_column_is_read_as_that_utc_instant()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, ts timestamp"));
        // The session's zone must not matter: the stored instant is the wall-clock time read as UTC.
        _f.Query("SET TimeZone = 'America/Sao_Paulo'");

        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMP '2026-01-01 10:00:00' AS ts");

        Assert.Equal(["1|1767261600000"], await _f.ReadAsync(path, columns: "id, epoch_ms(ts)"));
    }

    [Theory]
    [InlineData("integer", "CAST(7 AS INTEGER)", "7")]
    [InlineData("long", "CAST(7 AS INTEGER)", "7")]
    [InlineData("long", "CAST(7 AS TINYINT)", "7")]
    [InlineData("double", "CAST(1.5 AS FLOAT)", "1.5")]
    [InlineData("double", "CAST(7 AS BIGINT)", "7")]
    [InlineData("decimal(12,3)", "CAST(12.34 AS DECIMAL(10,2))", "12.340")]
    [InlineData("decimal(10,0)", "CAST(7 AS INTEGER)", "7")]
    [InlineData("double", "CAST(12.5 AS DECIMAL(10,2))", "12.5")]
    [InlineData("timestamp", "TIMESTAMP '2026-01-01 10:00:00'", "1767261600000")]
    [InlineData("timestamp", "DATE '2026-01-01'", "1767225600000")]
    [InlineData("timestamp_ntz", "DATE '2026-01-01'", "1767225600000")]
    [InlineData("timestamp[]", "[TIMESTAMP '2026-01-01 10:00:00']", "[1767261600000]")]
    [InlineData("STRUCT(occurred timestamp, n long)", "{'occurred': TIMESTAMP '2026-01-01 10:00:00', 'n': 1}", "{'occurred': 1767261600000, 'n': 1}")]
    public async Task A_write_widens_values_the_column_takes_without_loss(string column, string value, string stored)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition($"v {column}"));
        _f.Query("SET TimeZone = 'Asia/Tokyo'");
        string read = column switch
        {
            "timestamp" or "timestamp_ntz" => "epoch_ms(v)",
            "timestamp[]" => "CAST(list_transform(v, lambda t: epoch_ms(t)) AS VARCHAR)",
            "STRUCT(occurred timestamp, n long)" => "CAST({'occurred': epoch_ms(v.occurred), 'n': v.n} AS VARCHAR)",
            _ => "v",
        };

        await _f.Writer.WriteAsync(path, $"SELECT {value} AS v");

        Assert.Equal([stored], await _f.ReadAsync(path, columns: read));
    }

    [Theory]
    [InlineData("integer", "CAST(7 AS BIGINT)", "7")]
    [InlineData("byte", "CAST(-128 AS INTEGER)", "-128")]
    [InlineData("float", "CAST(1.5 AS DOUBLE)", "1.5")]
    [InlineData("decimal(10,2)", "CAST(1.5 AS DECIMAL(12,2))", "1.50")]
    [InlineData("decimal(10,2)", "CAST(1.005 AS DECIMAL(10,3))", "1.01")]
    [InlineData("decimal(10,2)", "CAST(-1.005 AS DECIMAL(10,3))", "-1.01")]
    [InlineData("decimal(3,0)", "CAST(2.5 AS DOUBLE)", "3")]
    [InlineData("integer", "CAST(2.7 AS DOUBLE)", "2")]
    [InlineData("integer", "CAST(-2.7 AS DECIMAL(3,1))", "-2")]
    [InlineData("date", "TIMESTAMP '2026-01-01 23:00:00'", "2026-01-01")]
    [InlineData("date", "TIMESTAMPTZ '2026-01-01 23:00:00+00'", "2026-01-01")]
    [InlineData("timestamp_ntz", "TIMESTAMPTZ '2026-01-01 23:00:00+00'", "2026-01-01 23:00:00")]
    [InlineData("string", "CAST(12.50 AS DECIMAL(5,2))", "12.50")]
    [InlineData("string", "true", "true")]
    [InlineData("string", "TIMESTAMPTZ '2026-01-01 23:00:00+00'", "2026-01-01 23:00:00")]
    [InlineData("integer[]", "[CAST(1 AS BIGINT), 2]", "[1, 2]")]
    public async Task A_write_casts_a_value_that_fits_its_column_as_spark_ansi_store_assignment_does(string column, string value, string stored)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition($"v {column}"));
        // Instants are stored and turned into dates and wall-clock times in UTC, whatever the session's zone.
        _f.Query("SET TimeZone = 'Asia/Tokyo'");

        await _f.Writer.WriteAsync(path, $"SELECT {value} AS v");

        _f.Query("SET TimeZone = 'UTC'");
        Assert.Equal([stored], await _f.ReadAsync(path, columns: "CAST(v AS VARCHAR)"));
    }

    [Theory]
    [InlineData("byte", "CAST(200 AS INTEGER)", "200")]
    [InlineData("short", "CAST(-40000 AS INTEGER)", "-40000")]
    [InlineData("integer", "CAST(3000000000 AS BIGINT)", "3000000000")]
    [InlineData("long", "CAST(1e19 AS DOUBLE)", "1e+19")]
    [InlineData("integer", "CAST('NaN' AS DOUBLE)", "nan")]
    [InlineData("decimal(4,2)", "CAST(99.995 AS DECIMAL(5,3))", "99.995")]
    [InlineData("float", "CAST(1e300 AS DOUBLE)", "1e+300")]
    [InlineData("integer[]", "[1, CAST(3000000000 AS BIGINT)]", "3000000000")]
    public async Task A_write_of_a_value_out_of_its_columns_range_fails_naming_the_column_the_value_and_the_row(string column, string value, string text)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition($"id long, v {column}"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, $"SELECT 1 AS id, NULL AS v UNION ALL SELECT 2 AS id, {value} AS v"));

        Assert.Equal(ErrorCode.DeltaValueOutOfRange, error.Code);
        string type = (await _f.SnapshotAsync(path)).Schema.Find("v")!.Type is Delta.Schema.ArrayType a ? a.ElementType.ToString() : (await _f.SnapshotAsync(path)).Schema.Find("v")!.Type.ToString();
        Assert.Equal($"The value {text} does not fit column 'v' ({type}) of the Delta table at '{path}' in the row id = 2.\nHelp: change or filter the value in the statement, or widen the column's type; nothing was committed to '{path}'.", error.Message);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Theory]
    [InlineData("integer", "'7'", "the table has integer, the data has string (VARCHAR)")]
    [InlineData("date", "'2026-01-01'", "the table has date, the data has string (VARCHAR)")]
    [InlineData("integer", "true", "the table has integer, the data has boolean (BOOLEAN)")]
    [InlineData("boolean", "CAST(1 AS INTEGER)", "the table has boolean, the data has integer (INTEGER)")]
    [InlineData("long", "DATE '2026-01-01'", "the table has long, the data has date (DATE)")]
    [InlineData("timestamp", "CAST(1 AS BIGINT)", "the table has timestamp, the data has long (BIGINT)")]
    public async Task A_write_of_a_type_its_column_does_not_take_is_refused_naming_both_types(string column, string value, string mismatch)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition($"v {column}"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, $"SELECT {value} AS v"));

        Assert.Equal(ErrorCode.DeltaSchemaMismatch, error.Code);
        Assert.Equal($"The data does not match the schema of the Delta table at '{path}': 'v': {mismatch}.\nHelp: cast or rename the columns in the query.", error.Message);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task A_merge_source_timestamp_without_time_zone_is_stored_as_that_utc_instant()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, ts timestamp"));
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2025-01-01 00:00:00+00' AS ts");
        _f.Query("SET TimeZone = 'America/Sao_Paulo'");

        await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (1, TIMESTAMP '2026-01-01 10:00:00'), (2, TIMESTAMP '2026-01-02 10:00:00')) s(id, ts)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        Assert.Equal(["1|1767261600000", "2|1767348000000"], await _f.ReadAsync(path, columns: "id, epoch_ms(ts)"));
    }

    [Fact]
    public async Task Write_with_a_new_column_is_refused_without_merge_schema_and_evolves_with_it()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT 2 AS id, 'x' AS extra"));
        Assert.Contains("the data has columns the table does not: 'extra' (string)", error.Message, StringComparison.Ordinal);

        await _f.Writer.WriteAsync(path, "SELECT 2 AS id, 'x' AS extra", new DeltaWriteOptions { MergeSchema = true });
        Assert.Equal(["1|∅", "2|x"], await _f.ReadAsync(path));
        Assert.Equal("struct<id:integer,extra:string>", (await _f.SnapshotAsync(path)).Schema.ToString());
    }

    [Fact]
    public async Task Narrower_integer_columns_are_widened_into_the_table_type()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, x double"));
        await _f.Writer.WriteAsync(path, "SELECT 1::TINYINT AS id, 2::INTEGER AS x");

        Assert.Equal(["1|2"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Not_null_column_rejects_a_null_and_nothing_is_committed()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL, name string"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT CAST(NULL AS BIGINT) AS id, 'a' AS name"));

        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);
        Assert.Contains("NOT NULL column 'id'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task Check_constraint_rejects_a_violating_row_and_raises_the_writer_version()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, amount double")
        {
            Properties = new Dictionary<string, string> { ["delta.constraints.positive"] = "amount > 0" },
        });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, 5.0 AS amount");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT 2 AS id, -1.0 AS amount"));

        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);
        Assert.Contains("CHECK constraint 'positive' (amount > 0)", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await _f.SnapshotAsync(path)).Protocol.MinWriterVersion);
        Assert.Equal(["1|5"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Retried_write_with_a_committed_application_version_is_a_no_op()
    {
        string path = _f.TablePath();
        var options = new DeltaWriteOptions { ApplicationId = "orders-ingest", ApplicationVersion = 7 };
        DeltaOperationResult first = await _f.Writer.WriteAsync(path, "SELECT 1 AS id", options);
        DeltaOperationResult retry = await _f.Writer.WriteAsync(path, "SELECT 1 AS id", options);
        DeltaOperationResult next = await _f.Writer.WriteAsync(path, "SELECT 2 AS id", options with { ApplicationVersion = 8 });

        Assert.True(first.Committed);
        Assert.False(retry.Committed);
        Assert.Equal(0, retry.Version);
        Assert.Equal(1, next.Version);
        Assert.Equal(["1", "2"], await _f.ReadAsync(path));
        Assert.Equal(8, (await _f.SnapshotAsync(path)).TransactionVersions["orders-ingest"]);
    }

    [Fact]
    public async Task Create_refuses_an_existing_table()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long")));

        Assert.Equal(ErrorCode.DeltaTableAlreadyExists, error.Code);
    }

    [Theory]
    [InlineData("delta.appendOnly", "yes", "must be true or false")]
    [InlineData("delta.checkpointInterval", "0", "must be a positive whole number")]
    [InlineData("delta.logRetentionDuration", "soon", "must be a duration")]
    [InlineData("delta.columnMapping.mode", "position", "must be none, name or id")]
    [InlineData("delta.unknownThing", "1", "is not a table property this writer knows")]
    public async Task Create_refuses_invalid_properties(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.CreateTableAsync(_f.TablePath(),
            new DeltaTableDefinition("id long") { Properties = new Dictionary<string, string> { [key] = value } }));

        Assert.Equal(ErrorCode.DeltaInvalidWriteArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_only_table_refuses_overwrite()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", new DeltaWriteOptions { Properties = new Dictionary<string, string> { ["delta.appendOnly"] = "true" } });

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.WriteAsync(path, "SELECT 2 AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite }));

        Assert.Equal(ErrorCode.DeltaOperationNotAllowed, error.Code);
        Assert.Equal(2, (await _f.SnapshotAsync(path)).Protocol.MinWriterVersion);
    }

    [Fact]
    public async Task Column_mapping_name_mode_writes_physical_names_and_reads_logical_ones()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, \"my col\" string, p string")
        {
            PartitionBy = ["p"],
            Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = "name" },
        });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, 'x' AS \"my col\", 'a' AS p");

        Snapshot s = await _f.SnapshotAsync(path);
        Assert.Equal(2, s.Protocol.MinReaderVersion);
        Assert.Equal(5, s.Protocol.MinWriterVersion);
        Assert.Equal(["1|x|a"], await _f.ReadAsync(path));
        string add = Array.Find(_f.LogLines(path, 1), l => l.StartsWith("{\"add\"", StringComparison.Ordinal))!;
        Assert.Contains("\"partitionValues\":{\"col-", add, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Column_mapping_id_mode_writes_each_columns_id_as_its_parquet_field_id()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, \"my col\" string, p string")
        {
            PartitionBy = ["p"],
            Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = "id" },
        });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, 'x' AS \"my col\", 'a' AS p");
        await _f.Writer.UpdateAsync(path, "\"my col\" = 'z'", "id = 1");

        Snapshot s = await _f.SnapshotAsync(path);
        Assert.Equal(ColumnMappingMode.Id, s.ColumnMappingMode);
        Assert.Equal(["1|z|a"], await _f.ReadAsync(path));
        // Every physical column in the file has the id the schema gives it.
        var expected = new List<string>();
        foreach (StructField f in s.Schema.Fields.Where(f => f.Name != "p"))
        {
            expected.Add($"{f.GetPhysicalName(ColumnMappingMode.Id)}|{f.ColumnId}");
        }

        expected.Sort(StringComparer.Ordinal);
        string file = Path.Combine(path, Assert.Single(s.Files).Path);
        Assert.Equal(expected, _f.Query($"SELECT name, field_id FROM parquet_schema('{file}') WHERE field_id IS NOT NULL"));
        Assert.Equal(2, expected.Count);
    }

    private const string NestedSchema = "id long, customer STRUCT(name VARCHAR, address STRUCT(city VARCHAR, uf VARCHAR)), items STRUCT(sku VARCHAR, qty INTEGER)[], attrs MAP(VARCHAR, STRUCT(v INTEGER))";

    private const string NestedRow =
        "SELECT 1 AS id, {'name': 'Ana', 'address': {'city': 'Recife', 'uf': 'PE'}} AS customer, [{'sku': 'A', 'qty': 2}, {'sku': 'B', 'qty': 1}] AS items, MAP {'k': {'v': 7}} AS attrs";

    private const string NestedRead = "id, customer.name, customer.address.city, items[2].sku, items[1].qty, attrs['k'].v";

    [Theory]
    [InlineData("name")]
    [InlineData("id")]
    public async Task Column_mapping_gives_every_nested_field_an_id_and_a_physical_name_and_reads_the_logical_ones_back(string mode)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(NestedSchema) { Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = mode } });

        await _f.Writer.WriteAsync(path, NestedRow);

        Snapshot s = await _f.SnapshotAsync(path);
        var ids = new List<int>();
        SchemaSerializer.AnyField(s.Schema, f =>
        {
            ids.Add(f.ColumnId ?? -1);
            Assert.StartsWith("col-", f.GetPhysicalName(s.ColumnMappingMode), StringComparison.Ordinal);
            return false;
        });
        Assert.Equal(Enumerable.Range(1, 11), ids.Order());
        Assert.Equal("11", s.Metadata.Configuration["delta.columnMapping.maxColumnId"]);
        Assert.Equal(["1|Ana|Recife|B|2|7"], await _f.ReadAsync(path, columns: NestedRead));
        string file = Path.Combine(path, Assert.Single(s.Files).Path);
        Assert.Empty(_f.Query($"SELECT name FROM parquet_schema('{file}') WHERE name IN ('name', 'address', 'city', 'sku', 'qty', 'v')"));
    }

    [Fact]
    public async Task Column_mapping_id_mode_writes_the_ids_of_struct_fields_inside_lists_and_maps_as_parquet_field_ids()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(NestedSchema) { Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = "id" } });

        await _f.Writer.WriteAsync(path, NestedRow);

        Snapshot s = await _f.SnapshotAsync(path);
        var expected = new List<string>();
        SchemaSerializer.AnyField(s.Schema, f =>
        {
            expected.Add($"{f.GetPhysicalName(ColumnMappingMode.Id)}|{f.ColumnId}");
            return false;
        });
        expected.Sort(StringComparer.Ordinal);
        string file = Path.Combine(path, Assert.Single(s.Files).Path);
        Assert.Equal(expected, _f.Query($"SELECT name, field_id FROM parquet_schema('{file}') WHERE field_id IS NOT NULL"));
    }

    [Fact]
    public async Task Merge_schema_on_a_column_mapped_table_gives_a_new_nested_column_ids_past_the_largest()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(NestedSchema) { Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = "id" } });

        await _f.Writer.WriteAsync(path, NestedRow.Replace(" AS attrs", " AS attrs, [{'z': 5}] AS extra", StringComparison.Ordinal), new DeltaWriteOptions { MergeSchema = true });

        Snapshot s = await _f.SnapshotAsync(path);
        StructField extra = s.Schema.Find("extra")!;
        StructField z = ((StructType)((ArrayType)extra.Type).ElementType).Fields[0];
        Assert.Equal((12, 13, "13"), (extra.ColumnId, z.ColumnId, s.Metadata.Configuration["delta.columnMapping.maxColumnId"]));
        Assert.Equal(["1|Ana|5"], await _f.ReadAsync(path, columns: "id, customer.name, extra[1].z"));
    }

    [Fact]
    public async Task Dml_and_optimize_on_a_column_mapped_table_with_nested_fields_keep_the_logical_values()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(NestedSchema)
        {
            Properties = new Dictionary<string, string> { ["delta.columnMapping.mode"] = "name", ["delta.enableChangeDataFeed"] = "true" },
        });
        await _f.Writer.WriteAsync(path, NestedRow);
        await _f.Writer.WriteAsync(path, NestedRow.Replace("1 AS id", "2 AS id", StringComparison.Ordinal).Replace("'Ana'", "'Bia'", StringComparison.Ordinal));

        await _f.Writer.UpdateAsync(path, "customer = struct_pack(name := 'Ana Maria', address := customer.address)", "id = 1");
        DeltaTable table = _f.Open(path);
        string changes = Medallion.Engine.Scanning.DeltaScanSql.Build(await table.PlanChangesAsync(3, 3), LocalMirror.Of(table.Store));
        Assert.Equal(["Ana Maria|Recife|update_postimage", "Ana|Recife|update_preimage"], _f.Query($"SELECT customer.name, customer.address.city, _change_type FROM ({changes})"));
        await _f.Writer.MergeAsync(path, new DeltaMergeOptions(NestedRow.Replace("1 AS id", "3 AS id", StringComparison.Ordinal), "target.id = source.id") { WhenNotMatchedInsert = true });
        await _f.Writer.DeleteAsync(path, "customer.name = 'Bia'");
        await _f.Writer.OptimizeAsync(path);

        Assert.Equal(["1|Ana Maria|Recife|B|2|7", "3|Ana|Recife|B|2|7"], await _f.ReadAsync(path, columns: NestedRead));
    }

    [Fact]
    public async Task Timestamp_ntz_column_needs_table_features()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT TIMESTAMP '2024-01-02 03:04:05.678901' AS ts");

        Snapshot s = await _f.SnapshotAsync(path);
        Assert.Equal(3, s.Protocol.MinReaderVersion);
        Assert.Equal(7, s.Protocol.MinWriterVersion);
        Assert.Equal(["timestampNtz"], s.Protocol.ReaderFeatures);
        Assert.Equal(["timestampNtz"], s.Protocol.WriterFeatures);
        Assert.Equal(["2024-01-02 03:04:05.678901"], await _f.ReadAsync(path, columns: "CAST(ts AS VARCHAR)"));
    }
}
