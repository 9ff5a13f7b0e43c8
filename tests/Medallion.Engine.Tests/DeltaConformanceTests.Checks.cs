using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Parquet;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Engine.Tests;

/// <summary>
/// The conformance checks beyond the expected-Parquet reads: inline rows, change data feed, filtered reads,
/// distinct values, timestamp time travel and log-replay facts. Every check kind in the suite's expected.json
/// files is run by exactly one theory here or in the main file; <see cref="Every_check_kind_of_the_suite_is_run"/>
/// fails when a new kind appears.
/// </summary>
public sealed partial class DeltaConformanceTests
{
    private static readonly HashSet<string> s_checkKinds = new(StringComparer.Ordinal)
    {
        "snapshot_reads_parquet", "snapshot_reads_inline", "change_data_feed_reads", "filtered_reads", "distinct_values_latest",
        "timestamp_time_travel", "log_assertions", "expect_error", "writer_task",
    };

    public static IEnumerable<object[]> InlineChecks() => Checks("snapshot_reads_inline");

    public static IEnumerable<object[]> ChangeFeedChecks() => Checks("change_data_feed_reads");

    public static IEnumerable<object[]> FilteredChecks() => Checks("filtered_reads");

    public static IEnumerable<object[]> DistinctChecks() => Checks("distinct_values_latest");

    public static IEnumerable<object[]> TimestampChecks() => Checks("timestamp_time_travel");

    public static IEnumerable<object[]> LogChecks() => Checks("log_assertions");

    public static IEnumerable<object[]> WriterTasks() => Checks("writer_task");

    [Fact]
    public void Every_check_kind_of_the_suite_is_run()
    {
        var unknown = Directory.EnumerateDirectories(ConformanceTables.Root)
            .Select(d => Path.Combine(d, "expected", "expected.json"))
            .Where(File.Exists)
            .SelectMany(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.EnumerateObject().Select(p => p.Name))
            .Where(name => name is not ("case" or "evidence" or "notes") && !s_checkKinds.Contains(name))
            .Distinct()
            .ToList();

        Assert.Empty(unknown);
    }

    [Theory]
    [MemberData(nameof(InlineChecks))]
    public async Task Snapshot_rows_equal_the_expected_inline_rows(string caseName, int index)
    {
        JsonElement check = Check(caseName, "snapshot_reads_inline", index);
        long? version = check.TryGetProperty("version", out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
        await RunAsync($"{caseName}/snapshot_reads_inline#{index}@{version?.ToString(CultureInfo.InvariantCulture) ?? "latest"}", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            DeltaTable table = OpenTable(caseName, connection);
            string scan = await DeltaScanSql.BuildAsync(table, await table.GetSnapshotAsync(version));
            List<string> columns = check.TryGetProperty("projection", out JsonElement projection)
                ? projection.EnumerateArray().Select(c => c.GetString()!).ToList()
                : StringList(check.GetProperty("columns"));
            CompareWithRows(connection, scan, columns, StringList(check.GetProperty("columns")), check.GetProperty("rows"));
        });
    }

    [Theory]
    [MemberData(nameof(ChangeFeedChecks))]
    public async Task Change_data_feed_rows_equal_the_expected_rows(string caseName, int index)
    {
        JsonElement check = Check(caseName, "change_data_feed_reads", index);
        long start = check.GetProperty("start_version").GetInt64();
        long? end = check.GetProperty("end_version").ValueKind == JsonValueKind.Number ? check.GetProperty("end_version").GetInt64() : null;
        await RunAsync($"{caseName}/change_data_feed_reads#{index}", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            DeltaTable table = OpenTable(caseName, connection);
            ChangeFeedPlan plan = await table.PlanChangesAsync(start, end);
            LocalMirror mirror = LocalMirror.Of(table.Store);
            await mirror.FetchAsync(plan);
            List<string> columns = StringList(check.GetProperty("columns"));
            CompareWithRows(connection, DeltaScanSql.Build(plan, mirror), columns, columns, check.GetProperty("rows"));
        });
    }

    [Theory]
    [MemberData(nameof(FilteredChecks))]
    public async Task Filtered_rows_equal_the_expected_rows(string caseName, int index)
    {
        JsonElement check = Check(caseName, "filtered_reads", index);
        long? version = check.GetProperty("version").ValueKind == JsonValueKind.Number ? check.GetProperty("version").GetInt64() : null;
        string predicate = check.GetProperty("predicate").GetString()!;
        await RunAsync($"{caseName}/filtered_reads#{index}", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            DeltaTable table = OpenTable(caseName, connection);
            ScanPredicate? filter = DeltaScanSql.TryParsePredicate(connection, predicate);
            Assert.NotNull(filter);
            string scan = await DeltaScanSql.BuildAsync(table, await table.GetSnapshotAsync(version), filter);
            List<string> columns = StringList(check.GetProperty("columns"));
            CompareWithRows(connection, $"SELECT * FROM ({scan}) AS t WHERE {predicate}", columns, columns, check.GetProperty("rows"));
        });
    }

    [Theory]
    [MemberData(nameof(DistinctChecks))]
    public async Task Distinct_values_of_the_latest_snapshot_equal_the_expected_values(string caseName, int index)
    {
        JsonElement check = Check(caseName, "distinct_values_latest", index);
        await RunAsync($"{caseName}/distinct_values_latest", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            DeltaTable table = OpenTable(caseName, connection);
            string scan = await DeltaScanSql.BuildAsync(table, await table.GetSnapshotAsync());
            foreach (JsonProperty column in check.EnumerateObject())
            {
                string rows = "[" + string.Join(",", column.Value.EnumerateArray().Select(v => "[" + v.GetRawText() + "]")) + "]";
                using var doc = JsonDocument.Parse(rows);
                string q = DuckDbConnection.QuoteIdentifier(column.Name);
                CompareWithRows(connection, $"SELECT DISTINCT {q} FROM ({scan}) AS t", [column.Name], [column.Name], doc.RootElement);
            }
        });
    }

    [Theory]
    [MemberData(nameof(TimestampChecks))]
    public async Task Timestamp_time_travel_resolves_the_expected_versions(string caseName, int index)
    {
        JsonElement check = Check(caseName, "timestamp_time_travel", index);
        await RunAsync($"{caseName}/timestamp_time_travel", async () =>
        {
            string dir = Path.Combine(Path.GetTempPath(), "medallion-conformance-" + Guid.NewGuid().ToString("N"));
            try
            {
                CopyDirectory(Path.Combine(ConformanceTables.Root, caseName, "table"), dir);
                foreach (JsonProperty mtime in check.GetProperty("commit_file_mtimes").EnumerateObject())
                {
                    File.SetLastWriteTimeUtc(Path.Combine(dir, "_delta_log", mtime.Name), DateTimeOffset.FromUnixTimeSeconds(mtime.Value.GetInt64()).UtcDateTime);
                }

                var table = new DeltaTable(new LocalObjectStore(dir));
                foreach (JsonElement asOf in check.GetProperty("as_of").EnumerateArray())
                {
                    var when = DateTimeOffset.Parse(asOf.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
                    Snapshot snapshot = await table.GetSnapshotAtTimestampAsync(when);
                    Assert.True(asOf.GetProperty("version").GetInt64() == snapshot.Version, $"as of {when:O}: expected version {asOf.GetProperty("version")}, got {snapshot.Version}");
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        });
    }

    [Theory]
    [MemberData(nameof(WriterTasks))]
    public async Task Writer_task_tables_replay_to_their_expected_state(string caseName, int index)
    {
        JsonElement expect = Check(caseName, "writer_task", index).GetProperty("expect");
        await RunAsync($"{caseName}/writer_task (read facts)", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            Snapshot snapshot = await OpenTable(caseName, connection).GetSnapshotAsync();
            Assert.Equal(expect.GetProperty("latest_version").GetInt64(), snapshot.Version);
            Assert.Equal(expect.GetProperty("active_file_count_after_checkpoints").GetInt32(), snapshot.Files.Count);
        });
    }

    private static DuckDbConnection OpenConnection()
    {
        var connection = new DuckDbConnection();
        connection.Open();
        using DuckDbCommand command = connection.CreateCommand();
        // Expected timestamps are UTC; DuckDB renders and casts TIMESTAMPTZ in the session time zone.
        command.CommandText = "SET TimeZone = 'UTC'";
        command.ExecuteNonQuery();
        return connection;
    }

    private static DeltaTable OpenTable(string caseName, DuckDbConnection connection) =>
        new(new LocalObjectStore(Path.Combine(ConformanceTables.Root, caseName, "table")), new DuckDbParquetHandler(connection));

    private static IEnumerable<object[]> Checks(string kind)
    {
        foreach (string dir in Directory.EnumerateDirectories(ConformanceTables.Root).Order(StringComparer.Ordinal))
        {
            string expected = Path.Combine(dir, "expected", "expected.json");
            if (!File.Exists(expected))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(expected));
            if (!doc.RootElement.TryGetProperty(kind, out JsonElement checks))
            {
                continue;
            }

            int count = checks.ValueKind == JsonValueKind.Array ? checks.GetArrayLength() : 1;
            for (int i = 0; i < count; i++)
            {
                yield return [Path.GetFileName(dir), i];
            }
        }
    }

    private static JsonElement Check(string caseName, string kind, int index)
    {
        JsonElement all = JsonDocument.Parse(File.ReadAllText(Path.Combine(ConformanceTables.Root, caseName, "expected", "expected.json"))).RootElement.GetProperty(kind);
        return all.ValueKind == JsonValueKind.Array ? all[index] : all;
    }

    private static List<string> StringList(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>
    /// Compares <paramref name="columns"/> of <paramref name="ours"/> with the JSON <paramref name="rows"/> (laid out as
    /// <paramref name="rowColumns"/>) as multisets. Each expected cell becomes a literal of our column's type, so the
    /// suite's encodings (microseconds or ISO text for timestamps, strings for decimals and dates) compare exactly.
    /// </summary>
    private static void CompareWithRows(DuckDbConnection connection, string ours, List<string> columns, List<string> rowColumns, JsonElement rows)
    {
        string cols = string.Join(", ", columns.Select(DuckDbConnection.QuoteIdentifier));
        string projected = $"SELECT {cols} FROM ({ours}) AS o";
        var types = new List<string>();
        using (DuckDbCommand describe = connection.CreateCommand())
        {
            describe.CommandText = $"SELECT column_type FROM (DESCRIBE {projected})";
            using var reader = describe.ExecuteReader();
            while (reader.Read())
            {
                types.Add(reader.GetString(0));
            }
        }

        int[] positions = columns.Select(c => rowColumns.IndexOf(c)).ToArray();
        Assert.DoesNotContain(-1, positions);
        string expected = rows.GetArrayLength() == 0
            ? $"SELECT {string.Join(", ", columns.Select((c, i) => $"CAST(NULL AS {types[i]}) AS {DuckDbConnection.QuoteIdentifier(c)}"))} WHERE false"
            : $"SELECT * FROM (VALUES {string.Join(", ", rows.EnumerateArray().Select(row => "(" + string.Join(", ", positions.Select((p, i) => Literal(row[p], types[i]))) + ")"))}) AS e({cols})";

        using DuckDbCommand compare = connection.CreateCommand();
        compare.CommandText =
            $"WITH ours AS ({projected}), expected AS ({expected}) " +
            $"SELECT 'unexpected' AS side, * FROM (SELECT * FROM ours EXCEPT ALL SELECT * FROM expected) " +
            $"UNION ALL SELECT 'missing', * FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM ours) LIMIT 20";
        using var result = compare.ExecuteReader();
        var differences = new StringBuilder();
        while (result.Read())
        {
            differences.Append("\n  ").Append(string.Join(" | ", Enumerable.Range(0, result.FieldCount).Select(i => result.IsDBNull(i) ? "NULL" : result.GetString(i))));
        }

        Assert.True(differences.Length == 0, "rows differ (first 20 differences):" + differences);
    }

    private static string Literal(JsonElement value, string type)
    {
        string cast(string text) => $"CAST({text} AS {type})";
        return value.ValueKind switch
        {
            JsonValueKind.Null => cast("NULL"),
            JsonValueKind.Number when type.StartsWith("TIMESTAMP", StringComparison.Ordinal) => cast($"make_timestamp({value.GetRawText()}::BIGINT)"),
            JsonValueKind.Number or JsonValueKind.String => cast(DuckDbConnection.QuoteLiteral(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText())),
            JsonValueKind.True or JsonValueKind.False => cast(value.GetRawText()),
            _ => cast($"CAST({DuckDbConnection.QuoteLiteral(value.GetRawText())} AS JSON)"),
        };
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }
}
