using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Engine.Tests.ObjectStores;
using Medallion.Platform.Audit;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests.Audit;

/// <summary>The audit table: every accepted event ends up in it, verbatim, and nothing but the audit itself may change it.</summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly TestProject _project = new();

    private string Storage => Path.Combine(_project.Directory, "warehouse");

    private string Location => Path.Combine(Storage, AuditLog.Namespace, AuditLog.TableName);

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_flood_of_ten_thousand_events_from_several_writers_is_all_in_the_table_after_shutdown()
    {
        AuditLog audit = AuditLog.Open(Location, new AuditOptions { BatchSize = 1_000, QueueCapacity = 2_000 });
        await using (audit)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
            {
                for (int i = 0; i < 1_250; i++)
                {
                    await audit.RecordAsync(AuditEvent.Statement("user" + writer, "10.0.0." + writer, "sql", $"SELECT {writer * 10_000 + i}"));
                }
            })));
        }

        Assert.Equal(0, audit.Dropped);
        Assert.Equal(10_000L, await ScalarAsync("SELECT count(DISTINCT statement) FROM medallion_audit.events"));
        Assert.Equal(10_000L, await ScalarAsync("SELECT count(*) FROM medallion_audit.events WHERE kind = 'statement' AND outcome = 'ok'"));
    }

    [Fact]
    public async Task A_statement_with_quotes_newlines_and_control_characters_is_stored_verbatim()
    {
        const string text = "SELECT 'it''s', \"odd\"\"name\" -- comment\r\n\tFROM t WHERE x = E'\\x01' \u0001\u001b[31m\u007f é 日本 🙂\\";
        AuditLog audit = AuditLog.Open(Location);
        await using (audit)
        {
            audit.Record(AuditEvent.Statement("ana", "shell", "shell", text) with { Tables = ["gold.o'rders"], Columns = ["a\"b", "*"] });
        }

        Assert.Equal(text, await ScalarAsync("SELECT statement FROM medallion_audit.events"));
        Assert.Equal("gold.o'rders|a\"b|*", await ScalarAsync("SELECT concat_ws('|', tables[1], columns[1], columns[2]) FROM medallion_audit.events"));
    }

    [Fact]
    public async Task A_statement_and_error_message_are_stored_with_the_cpfs_and_emails_typed_into_them_masked()
    {
        AuditLog audit = AuditLog.Open(Location);
        await using (audit)
        {
            audit.Record(AuditEvent.Statement("ana", "shell", "shell", "SELECT * FROM silver.customers WHERE cpf = '390.533.447-05' OR email = 'joana@example.com'") with
            {
                Outcome = "error",
                ErrorMessage = "Conversion Error: Could not convert string '39053344705' to INT32",
            });
        }

        Assert.Equal(
            "SELECT * FROM silver.customers WHERE cpf = '***.533.447-**' OR email = 'j***@example.com'|Conversion Error: Could not convert string '***.533.447-**' to INT32",
            await ScalarAsync("SELECT statement || '|' || error_message FROM medallion_audit.events"));
    }

    [Fact]
    public async Task A_failed_statement_keeps_its_SQLSTATE_rows_duration_and_time()
    {
        var at = new DateTimeOffset(2026, 11, 20, 13, 14, 15, TimeSpan.Zero);
        AuditLog audit = AuditLog.Open(Location);
        await using (audit)
        {
            audit.Record(AuditEvent.Statement("ana", "127.0.0.1:5555", "sql", "SELECT * FROM gold.nope") with
            {
                At = at, Outcome = "error", ErrorCode = "42P01", ErrorMessage = "Table gold.nope does not exist", Rows = 0, Duration = TimeSpan.FromMilliseconds(12.5),
            });
        }

        Assert.Equal("ana|127.0.0.1:5555|error|42P01|0|12.5|2026-11-20", await ScalarAsync(
            "SELECT concat_ws('|', \"user\", client, outcome, error_code, \"rows\", duration_ms, day) FROM medallion_audit.events WHERE occurred_at = TIMESTAMPTZ '2026-11-20 13:14:15+00'"));
    }

    [Fact]
    public async Task A_full_queue_waits_a_bounded_time_then_drops_and_counts_the_event()
    {
        // A table under a file can never be written: the first batch retries, the queue fills, the next event is dropped.
        string blocked = Path.Combine(_project.Directory, "not-a-directory");
        await File.WriteAllTextAsync(blocked, "x");
        AuditLog audit = AuditLog.Open(Path.Combine(blocked, "events"), new AuditOptions { QueueCapacity = 1, BatchSize = 1, MaxWait = TimeSpan.FromMilliseconds(200) });
        await using (audit)
        {
            await audit.RecordAsync(AuditEvent.Statement("ana", "shell", "shell", "SELECT 1"));
            await Task.Delay(300);
            await audit.RecordAsync(AuditEvent.Statement("ana", "shell", "shell", "SELECT 2"));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            await audit.RecordAsync(AuditEvent.Statement("ana", "shell", "shell", "SELECT 3"));

            Assert.InRange(waited.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
            Assert.Equal(1, audit.Dropped);
        }
    }

    [Theory]
    [InlineData("write")]
    [InlineData("overwrite")]
    [InlineData("delete")]
    [InlineData("update")]
    [InlineData("merge")]
    [InlineData("optimize")]
    [InlineData("vacuum")]
    [InlineData("restore")]
    [InlineData("properties")]
    public async Task The_audit_table_refuses_every_change_by_any_other_writer(string operation)
    {
        await WriteTwoBatchesAsync();
        await using var connection = new DuckDbConnection();
        connection.Open();
        var writer = new DeltaWriter(connection);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => operation switch
        {
            "write" => writer.WriteAsync(Location, "SELECT * FROM (SELECT 1)"),
            "overwrite" => writer.WriteAsync(Location, "SELECT 1 AS x", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite, OverwriteSchema = true }),
            "delete" => writer.DeleteAsync(Location, null),
            "update" => writer.UpdateAsync(Location, "\"user\" = 'nobody'", null),
            "merge" => writer.MergeAsync(Location, new DeltaMergeOptions("SELECT 'x' AS id", "target.id = source.id") { WhenNotMatchedBySourceDelete = true }),
            "optimize" => writer.OptimizeAsync(Location),
            "vacuum" => writer.VacuumAsync(Location, TimeSpan.Zero, force: true),
            "restore" => writer.RestoreAsync(Location, 0),
            _ => writer.SetPropertiesAsync(Location, new Dictionary<string, string>(), [DeltaWriter.ProtectedProperty]),
        });

        Assert.Equal(ErrorCode.DeltaTableProtected, error.Code);
        Assert.Contains("is protected (medallion.protected = true)", error.Message, StringComparison.Ordinal);
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM medallion_audit.events"));
    }

    [Fact]
    public async Task The_upkeep_pass_deletes_the_days_older_than_the_retention_and_keeps_the_rest()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        AuditLog audit = AuditLog.Open(Location);
        await using (audit)
        {
            audit.Record(AuditEvent.Admin("ana", "cli", "cli", "user.add", "old") with { At = now.AddDays(-401) });
            audit.Record(AuditEvent.Admin("ana", "cli", "cli", "user.add", "kept") with { At = now.AddDays(-399) });
            audit.Record(AuditEvent.Admin("ana", "cli", "cli", "user.add", "today") with { At = now });
            await audit.FlushAsync();

            Assert.Equal(1, (await audit.MaintainAsync(TimeSpan.FromDays(400), now)).EventsDeleted);
        }

        Assert.Equal("kept,today", await ScalarAsync("SELECT string_agg(target, ',' ORDER BY occurred_at) FROM medallion_audit.events"));
    }

    [Fact]
    public async Task The_upkeep_pass_packs_each_days_small_files_into_one_and_keeps_every_event()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        AuditLog audit = AuditLog.Open(Location, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(50) });
        await using (audit)
        {
            // Three batches, each with an event of yesterday and one of today: six files, three a day.
            for (int batch = 0; batch < 3; batch++)
            {
                audit.Record(AuditEvent.Admin("ana", "cli", "cli", "user.add", $"yesterday{batch}") with { At = now.AddDays(-1) });
                audit.Record(AuditEvent.Admin("ana", "cli", "cli", "user.add", $"today{batch}") with { At = now });
                await audit.FlushAsync();
            }

            Assert.Equal(6, await FileCountAsync());
            Assert.Equal(new AuditUpkeep(0, 6, 2), await audit.MaintainAsync(TimeSpan.FromDays(400), now));
        }

        Assert.Equal(2, await FileCountAsync());
        Assert.Equal("today0,today1,today2,yesterday0,yesterday1,yesterday2", await ScalarAsync("SELECT string_agg(target, ',' ORDER BY target) FROM medallion_audit.events"));
    }

    [Fact]
    public async Task Events_recorded_while_the_upkeep_pass_packs_the_table_are_all_kept()
    {
        AuditLog audit = AuditLog.Open(Location, new AuditOptions { BatchSize = 10, FlushInterval = TimeSpan.FromMilliseconds(10) });
        await using (audit)
        {
            Task recording = Task.Run(async () =>
            {
                for (int i = 0; i < 400; i++)
                {
                    await audit.RecordAsync(AuditEvent.Statement("ana", "shell", "shell", $"SELECT {i}"));
                    if (i % 10 == 9)
                    {
                        await audit.FlushAsync();
                    }
                }
            });
            int packed = 0;
            while (!recording.IsCompleted)
            {
                packed += (await audit.MaintainAsync(TimeSpan.FromDays(400), DateTimeOffset.UtcNow)).FilesPacked;
            }

            await recording;
            Assert.True(packed > 0, "no pass packed files while the events were being recorded");
        }

        Assert.Equal(0, audit.Dropped);
        Assert.Equal(400L, await ScalarAsync("SELECT count(*) FROM medallion_audit.events"));
        Assert.Equal(400L, await ScalarAsync("SELECT count(DISTINCT statement) FROM medallion_audit.events"));
    }

    [Fact]
    public async Task An_audit_on_an_object_store_loads_its_table_before_the_first_event_so_the_statement_it_audits_runs_meanwhile()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        string root = $"s3://{TestObjectStores.Bucket}/audit-{Guid.NewGuid():N}";
        AuditLog audit = AuditLog.Open(root + "/medallion_audit/events", stores: TestObjectStores.Through(proxy, root));
        await using (audit)
        {
            // No event yet: what reaches the store is the audit reading its table ahead of the first write.
            for (int wait = 0; wait < 200 && !proxy.Requests.Any(r => r.Contains("events/_delta_log", StringComparison.Ordinal)); wait++)
            {
                await Task.Delay(50);
            }

            Assert.Contains(proxy.Requests, r => r.Contains("events/_delta_log", StringComparison.Ordinal));
            audit.Record(AuditEvent.Statement("ana", "shell", "shell", "SELECT 1"));
        }

        Assert.Equal(1L, audit.Written);
    }

    [Fact]
    public async Task Each_batch_leaves_the_checksum_of_its_version_for_the_next_command_to_append_from()
    {
        await WriteTwoBatchesAsync();

        Assert.True(File.Exists(Path.Combine(Location, "_delta_log", "00000000000000000000.crc")));
        Assert.True(File.Exists(Path.Combine(Location, "_delta_log", "00000000000000000001.crc")));
    }

    private async Task WriteTwoBatchesAsync()
    {
        AuditLog audit = AuditLog.Open(Location);
        await using (audit)
        {
            audit.Record(AuditEvent.Statement("ana", "shell", "shell", "SELECT 1"));
            await audit.FlushAsync();
            audit.Record(AuditEvent.Statement("ana", "shell", "shell", "SELECT 2"));
        }
    }

    private async Task<int> FileCountAsync()
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable table = StorageResolver.Default.OpenTable(Location, connection);
        return (await table.GetSnapshotAsync()).Files.Count;
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(Storage));
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        Assert.True(await reader.ReadAsync());
        return reader.GetValue(0);
    }
}
