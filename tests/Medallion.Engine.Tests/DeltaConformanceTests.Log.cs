using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Scanning;

namespace Medallion.Engine.Tests;

public sealed partial class DeltaConformanceTests
{
    [Theory]
    [MemberData(nameof(LogChecks))]
    public async Task Log_replay_facts_equal_the_expected_facts(string caseName, int index)
    {
        JsonElement check = Check(caseName, "log_assertions", index);
        await RunAsync($"{caseName}/log_assertions", async () =>
        {
            using DuckDbConnection connection = OpenConnection();
            DeltaTable table = OpenTable(caseName, connection);
            Snapshot latest = await table.GetSnapshotAsync();
            foreach (JsonProperty fact in check.EnumerateObject())
            {
                await AssertFactAsync(connection, table, latest, fact);
            }
        });
    }

    private static async Task AssertFactAsync(DuckDbConnection connection, DeltaTable table, Snapshot latest, JsonProperty fact)
    {
        JsonElement value = fact.Value;
        switch (fact.Name)
        {
            case "latest_version":
                Assert.Equal(value.GetInt64(), latest.Version);
                break;
            case "protocol":
                Assert.Equal(value.GetProperty("minReaderVersion").GetInt32(), latest.Protocol.MinReaderVersion);
                Assert.Equal(value.GetProperty("minWriterVersion").GetInt32(), latest.Protocol.MinWriterVersion);
                break;
            case "metadata":
                Assert.Equal(value.GetProperty("id").GetString(), latest.Metadata.Id);
                Assert.Equal(StringList(value.GetProperty("partitionColumns")), latest.PartitionColumns);
                Assert.Equal(value.GetProperty("createdTime").GetInt64(), latest.Metadata.CreatedTime);
                Assert.Equal(
                    value.GetProperty("configuration").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()),
                    latest.Metadata.Configuration.ToDictionary(p => p.Key, p => p.Value));
                break;
            case "active_file_count":
                Assert.Equal(value.GetInt32(), latest.Files.Count);
                break;
            case "active_file_names" or "active_file_names_decoded":
                AssertSameFiles(value, latest.Files);
                break;
            case "active_files_by_version":
                foreach (JsonProperty version in value.EnumerateObject())
                {
                    Snapshot snapshot = await table.GetSnapshotAsync(long.Parse(version.Name, System.Globalization.CultureInfo.InvariantCulture));
                    AssertSameFiles(version.Value, snapshot.Files);
                }

                break;
            case "active_file_suffixes":
                List<string> suffixes = StringList(value);
                Assert.Equal(suffixes.Count, latest.Files.Count);
                Assert.All(suffixes, suffix => Assert.Single(latest.Files, f => f.Path.EndsWith(suffix, StringComparison.Ordinal)));
                break;
            case "tombstones_at_latest":
                Assert.Equal(value.GetInt32(), (await latest.LoadTombstonesAsync(table.Parquet, CancellationToken.None)).Count);
                break;
            case "txn":
                foreach (JsonProperty app in value.EnumerateObject())
                {
                    long? expected = app.Value.ValueKind == JsonValueKind.Null ? null : app.Value.GetInt64();
                    Assert.Equal(expected, latest.TransactionVersions.TryGetValue(app.Name, out long v) ? v : null);
                }

                break;
            case "modification_time_of_foo":
                Assert.Equal(value.GetInt64(), Assert.Single(latest.Files, f => f.Path == "foo").ModificationTime.ToUnixTimeMilliseconds());
                break;
            case "files_for_partition_filter":
                foreach (JsonProperty filter in value.EnumerateObject())
                {
                    // A key may end with a note in parentheses, e.g. "k IS NULL (delta-rs spells it k = \"\")".
                    int note = filter.Name.IndexOf(" (", StringComparison.Ordinal);
                    string predicate = note > 0 ? filter.Name[..note] : filter.Name;
                    ScanPredicate parsed = DeltaScanSql.TryParsePredicate(connection, predicate) ?? throw new Xunit.Sdk.XunitException($"'{predicate}' did not parse into a scan predicate");
                    ScanPlan plan = await table.PlanScanAsync(latest, parsed);
                    List<string> expected = StringList(filter.Value);
                    Assert.True(expected.Count == plan.Files.Count, $"{predicate}: expected {expected.Count} files, got {string.Join(", ", plan.Files.Select(f => f.Path))}");
                    // "x=A%2FA/..." names the partition folder of one file whose name the source does not spell out.
                    Assert.All(expected, e => Assert.Single(plan.Files, f => e.EndsWith("...", StringComparison.Ordinal) ? f.Path.StartsWith(e[..^3], StringComparison.Ordinal) : f.Path == e));
                }

                break;
            default:
                throw new Xunit.Sdk.XunitException($"log assertion '{fact.Name}' is not known to the conformance runner; add it.");
        }
    }

    // Expected names are the decoded paths (the log's add.path decoded once), e.g. "x=A%2FA/..." for a folder whose name holds "%2F".
    private static void AssertSameFiles(JsonElement expected, IReadOnlyList<ScanFile> files) =>
        Assert.Equal(
            StringList(expected).Order(StringComparer.Ordinal),
            files.Select(f => f.Path).Order(StringComparer.Ordinal));
}
