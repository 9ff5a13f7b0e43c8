using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Platform.Audit;

namespace Medallion.Platform.Benchmarks;

/// <summary>
/// The audit table after N one-event batches (a file each, as a shell's commands or a busy server's seconds leave it):
/// a count of its rows and a writer's load of its snapshot, before and after one upkeep pass packs the files.
/// </summary>
internal static class AuditUpkeepScenario
{
    private const int Rounds = 5;

    public static async Task<int> RunAsync(int batches)
    {
        string root = Directory.CreateTempSubdirectory("medallion-audit-bench-").FullName;
        try
        {
            string location = Path.Combine(root, AuditLog.Namespace, AuditLog.TableName);
            Console.WriteLine($"Audit upkeep benchmark: {batches:N0} one-event batches, {Environment.ProcessorCount} cores");
            AuditLog audit = AuditLog.Open(location, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(1) });
            await using (audit)
            {
                for (int i = 0; i < batches; i++)
                {
                    audit.Record(AuditEvent.Statement("bench", "shell", "shell", "SELECT " + i.ToString(CultureInfo.InvariantCulture)));
                    await audit.FlushAsync();
                }

                (double countBefore, double loadBefore) = await MeasureAsync(root, location);
                var watch = Stopwatch.StartNew();
                AuditUpkeep upkeep = await audit.MaintainAsync(TimeSpan.FromDays(400), DateTimeOffset.UtcNow);
                double pass = watch.Elapsed.TotalMilliseconds;
                (double countAfter, double loadAfter) = await MeasureAsync(root, location);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  upkeep pass: {pass:0} ms, {upkeep.FilesPacked} files packed into {upkeep.FilesWritten}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  count(*) of the table (median of {Rounds}): {countBefore:0.0} ms before, {countAfter:0.0} ms after ({countBefore / countAfter:0.0}x)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  a writer's snapshot load (median of {Rounds}): {loadBefore:0.0} ms before, {loadAfter:0.0} ms after ({loadBefore / loadAfter:0.0}x)"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(double Count, double Load)> MeasureAsync(string root, string location)
    {
        double[] counts = new double[Rounds], loads = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            await using (LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(root)))
            {
                await using DuckDbDataReader reader = await session.ExecuteReaderAsync($"SELECT count(*) FROM {AuditLog.Namespace}.{AuditLog.TableName}");
                while (await reader.ReadAsync())
                {
                }
            }

            counts[round] = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            await using (var connection = new DuckDbConnection())
            {
                connection.Open();
                await new DeltaWriter(connection).TryGetSnapshotAsync(location);
            }

            loads[round] = watch.Elapsed.TotalMilliseconds;
        }

        return (Median(counts), Median(loads));
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
