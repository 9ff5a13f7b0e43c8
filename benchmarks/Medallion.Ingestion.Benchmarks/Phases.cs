using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Npgsql;
using NpgsqlTypes;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>The phases that run in child processes; each prints its peak resident set (kB) last.</summary>
internal static class Phases
{
    public static async Task<int> RunAsync(string phase, string root, string postgres)
    {
        switch (phase)
        {
            case "ceiling":
                Ceiling(postgres);
                break;
            case "full":
                // The peak is the CLI's, this process's only child.
                await FullAsync(root, postgres);
                Console.WriteLine(ChildUsage.Read().PeakKb);
                return 0;
            case "stage":
                await StageAsync(root, postgres);
                break;
            case "cdc":
                await ContinuousAsync(root, postgres);
                break;
            default:
                throw new ArgumentException($"unknown phase '{phase}'");
        }

        Console.WriteLine(Child.PeakResidentKb());
        return 0;
    }

    /// <summary>The source's ceiling: binary COPY of the same rows, every field read with its typed call, then dropped.</summary>
    private static void Ceiling(string postgres)
    {
        long began = Stopwatch.GetTimestamp();
        using var connection = new NpgsqlConnection(postgres);
        connection.Open();
        long rows = 0, check = 0;
        using (NpgsqlBinaryExporter copy = connection.BeginBinaryExport($"COPY (SELECT {Data.FullColumns} FROM bench_full) TO STDOUT (FORMAT BINARY)"))
        {
            while (copy.StartRow() >= 0)
            {
                check += copy.Read<long>(NpgsqlDbType.Bigint);
                check += copy.Read<int>(NpgsqlDbType.Integer);
                check += (long)copy.Read<decimal>(NpgsqlDbType.Numeric);
                check += (long)copy.Read<double>(NpgsqlDbType.Double);
                if (copy.IsNull)
                {
                    copy.Skip();
                }
                else
                {
                    check += copy.Read<string>(NpgsqlDbType.Text).Length;
                }

                check += copy.Read<string>(NpgsqlDbType.Varchar).Length;
                check += copy.Read<bool>(NpgsqlDbType.Boolean) ? 1 : 0;
                check += copy.Read<DateOnly>(NpgsqlDbType.Date).DayNumber;
                check += copy.Read<DateTime>(NpgsqlDbType.TimestampTz).Ticks;
                check += copy.Read<Guid>(NpgsqlDbType.Uuid).GetHashCode();
                rows++;
            }
        }

        Report(rows, began, $"checksum {check}");
    }

    /// <summary>
    /// <c>medallion ingest</c> of a full-mode table into a fresh bronze table, run as users run it (the launcher and
    /// the ReadyToRun CLI it built): the time is that process's, start to exit.
    /// </summary>
    private static async Task FullAsync(string root, string postgres)
    {
        string directory = Path.Combine(root, "full");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        await WriteProjectAsync(directory, postgres, "public.bench_full");
        (string output, double seconds) = MedallionCli.Run("ingest", "--project", directory, "--format", "json");
        using JsonDocument passes = JsonDocument.Parse(output);
        JsonElement pass = passes.RootElement[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rows {pass.GetProperty("rows").GetInt64()} seconds {seconds:0.000} {pass.GetProperty("batches").GetInt64()} batches, bronze version {pass.GetProperty("committed_version")}"));
    }

    /// <summary>The same source read into DuckDB batches that a sink drops: the full load without its Parquet and Delta writes.</summary>
    private static async Task StageAsync(string root, string postgres)
    {
        MedallionProject project = await WriteProjectAsync(Path.Combine(root, "stage"), postgres, "public.bench_full");
        long began = Stopwatch.GetTimestamp();
        using DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        IIngestionSource source = DatabaseSourceLoader.CreateSource(project.DatabaseSources[0], project.DatabaseSources[0].Tables[0]);
        IngestionResult result = await IngestionRunner.RunAsync(source, new DroppingSink(), connection);
        Report(result.Rows, began, $"{result.Batches} batches");
    }

    /// <summary>
    /// What <c>medallion ingest --continuous --interval 1</c> does, until standard input closes. Prints the bronze
    /// table's location first, so the parent can watch its log.
    /// </summary>
    private static async Task ContinuousAsync(string root, string postgres)
    {
        MedallionProject project = await WriteProjectAsync(Path.Combine(root, "cdc"), postgres, "{table: public.bench_cdc, mode: cdc}");
        DatabaseSourceDefinition source = project.DatabaseSources[0];
        Console.WriteLine("table " + ProjectCatalog.TableLocation(project, source.Tables[0].Target));
        using var stop = new CancellationTokenSource();
        Task stdin = Task.Run(() =>
        {
            Console.In.ReadToEnd();
            stop.Cancel();
        });
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        long passes = 0, rows = 0;
        await foreach (DatabaseTableResult result in DatabaseSourceLoader.RunContinuousAsync(project, [source], [], new DeltaWriter(connection), TimeSpan.FromSeconds(1), cancellationToken: stop.Token))
        {
            passes++;
            rows += result.Result.Rows;
        }

        await stdin;
        Console.WriteLine($"{passes} passes, {rows:N0} rows");
    }

    private static async Task<MedallionProject> WriteProjectAsync(string directory, string postgres, string tableEntry)
    {
        var settings = new NpgsqlConnectionStringBuilder(postgres);
        Directory.CreateDirectory(Path.Combine(directory, "sources"));
        await File.WriteAllTextAsync(Path.Combine(directory, MedallionProject.FileName), $"""
            name: ingest_benchmark
            connections:
              bench:
                type: postgres
                host: {settings.Host}
                port: {settings.Port}
                database: {settings.Database}
                user: {settings.Username}
                password: {settings.Password}
            """);
        // The full load's parts read at once: the project's default (half the cores) unless the run sets it.
        string parallelism = Environment.GetEnvironmentVariable("MEDALLION_BENCH_PARALLELISM") is { Length: > 0 } parts ? $"\n    parallelism: {parts}" : string.Empty;
        await File.WriteAllTextAsync(Path.Combine(directory, "sources", "bench.yml"), $"""
            sources:
              - connection: bench{parallelism}
                tables:
                  - {tableEntry}
            """);
        return await MedallionProject.LoadAsync(directory);
    }

    private static void Report(long rows, long began, string detail)
    {
        double seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows {rows} seconds {seconds:0.000} {detail}"));
    }

    private sealed class DroppingSink : IBatchSink
    {
        public Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default) => Task.FromResult<SourcePosition?>(null);

        public Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
