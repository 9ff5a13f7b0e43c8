using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.DuckDb;
using Medallion.Engine.Parquet;
using Medallion.Engine.Scanning;
using Medallion.Storage;
using Xunit.Abstractions;

namespace Medallion.Engine.Tests;

/// <summary>
/// Every <c>snapshot_reads_parquet</c> check of the shared conformance suite: our rows at the check's version
/// must equal the expected Parquet rows as multisets (compared by DuckDB with EXCEPT ALL both ways).
/// Checks we cannot pass yet are in <see cref="KnownFailures"/> with the reason, printed when they run.
/// </summary>
public sealed partial class DeltaConformanceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> ParquetChecks()
    {
        foreach (string dir in Directory.EnumerateDirectories(ConformanceTables.Root).Order(StringComparer.Ordinal))
        {
            string expected = Path.Combine(dir, "expected", "expected.json");
            if (!File.Exists(expected))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(expected));
            if (!doc.RootElement.TryGetProperty("snapshot_reads_parquet", out JsonElement checks))
            {
                continue;
            }

            foreach (JsonElement check in checks.EnumerateArray())
            {
                yield return [Path.GetFileName(dir), check.GetProperty("version").GetInt64(), check.GetProperty("parquet_dir").GetString()!];
            }
        }
    }

    public static IEnumerable<object[]> ErrorChecks() =>
        Directory.EnumerateDirectories(ConformanceTables.Root).Order(StringComparer.Ordinal)
            .Where(d => File.Exists(Path.Combine(d, "expected", "expected.json"))
                && JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "expected", "expected.json"))).RootElement.TryGetProperty("expect_error", out _))
            .Select(d => new object[] { Path.GetFileName(d) });

    [Theory]
    [MemberData(nameof(ErrorChecks))]
    public async Task Loading_a_broken_or_unsupported_table_fails_with_a_medallion_error(string caseName)
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        var table = new DeltaTable(new LocalObjectStore(Path.Combine(ConformanceTables.Root, caseName, "table")), new DuckDbParquetHandler(connection));

        var e = await Assert.ThrowsAsync<MedallionException>(async () => await table.PlanLocalScanAsync(await table.GetSnapshotAsync()));

        output.WriteLine($"{caseName}: {e.CodeText} {e.Message}");
    }

    [Theory]
    [MemberData(nameof(ParquetChecks))]
    public async Task Snapshot_rows_equal_the_expected_parquet_rows(string caseName, long version, string parquetDir)
    {
        await RunAsync($"{caseName}/snapshot_reads_parquet@{version}",
            () => CompareAsync(caseName, version, parquetDir, connection => Task.FromResult(new DeltaTable(new LocalObjectStore(ConformanceTables.TablePath(caseName)), new DuckDbParquetHandler(connection)))));
    }

    /// <summary>Compares the rows of the case's table at <paramref name="version"/>, opened by <paramref name="open"/>, with the expected Parquet rows.</summary>
    private static async Task CompareAsync(string caseName, long version, string parquetDir, Func<DuckDbConnection, Task<DeltaTable>> open)
    {
        string caseDir = Path.Combine(ConformanceTables.Root, caseName);
        using DuckDbConnection connection = OpenConnection();
        DeltaTable table = await open(connection);
        string ours = await DeltaScanSql.BuildAsync(table, await table.GetSnapshotAsync(version));

        string expectedGlob = DuckDbConnection.QuoteLiteral(Path.Combine(caseDir, parquetDir, "*.parquet"));
        var expectedColumns = new List<string>();
        using (DuckDbCommand describe = connection.CreateCommand())
        {
            describe.CommandText = $"SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet({expectedGlob}))";
            using var reader = describe.ExecuteReader();
            while (reader.Read())
            {
                expectedColumns.Add(reader.GetString(0));
            }
        }

        // The golden partition-values case depends on the writer's time zone for as_timestamp (see the suite README).
        if (caseName == "golden-data-reader-partition-values")
        {
            expectedColumns.Remove("as_timestamp");
        }

        string cols = string.Join(", ", expectedColumns.Select(DuckDbConnection.QuoteIdentifier));
        using DuckDbCommand compare = connection.CreateCommand();
        compare.CommandText =
            $"WITH ours AS ({ours}), expected AS (SELECT * FROM read_parquet({expectedGlob})) " +
            $"SELECT (SELECT count(*) FROM (SELECT {cols} FROM ours EXCEPT ALL SELECT {cols} FROM expected)), " +
            $"(SELECT count(*) FROM (SELECT {cols} FROM expected EXCEPT ALL SELECT {cols} FROM ours)), (SELECT count(*) FROM ours), (SELECT count(*) FROM expected)";
        using var result = compare.ExecuteReader();
        Assert.True(result.Read());
        long extra = result.GetInt64(0), missing = result.GetInt64(1), ourCount = result.GetInt64(2), expectedCount = result.GetInt64(3);
        Assert.True(extra == 0 && missing == 0, $"{caseName}@{version}: {extra} unexpected and {missing} missing rows (ours {ourCount}, expected {expectedCount}).");
    }
}
