using System;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using Medallion.Ingestion.Benchmarks;
using Medallion.Pipelines.Sources;

// Issue 6's ingestion benchmarks against the test PostgreSQL 15 (build/test-setup/postgres.sh, port 55432; or
// MEDALLION_TEST_PG), in a database of their own (medallion_bench), figures side by side in one run:
//  1. Full load of a generated table (10 columns of mixed types): the source ceiling (Npgsql binary COPY, every
//     field read with its typed call and discarded) against `medallion ingest` of the table into bronze, run through
//     the repository's launcher as users run it (the ReadyToRun CLI; the time is that process's, start to exit),
//     alternated over three rounds, medians compared. Target: >= 0.9x the ceiling.
//  2. CDC: a load generator commits changes (inserts, updates, deletes in transactions of 10) at a fixed rate while
//     `medallion ingest --continuous`'s loop (DatabaseSourceLoader.RunContinuousAsync, 1 s interval) streams them
//     into bronze; latency is the time a bronze commit became visible (its log file appeared) minus the source
//     commit time of each change (_commit_ts). Target (issue 45): keeps up, p99 <= 0.5 s.
// Each contender runs in a child process, so its peak memory (VmHWM) is its own. The machine is shared: the load
// average is printed with the figures, and only ratios measured in the same run should be compared.
// Usage: Medallion.Ingestion.Benchmarks [rows (default 5,000,000)] [CDC seconds (default 60)] [changes/s (default 2000)]
//        e.g. 500000 10 2000 for a quick run while iterating; 0 rows or 0 seconds skips that part.
//        MEDALLION_BENCH_PARALLELISM=<n> sets the full load's parallelism (the source's parts read at once, each by a
//        COPY of its own in one snapshot); unset, the project's default (half the cores) applies.
//        Medallion.Ingestion.Benchmarks --phase <ceiling|full|stage|cdc> <work dir> <connection string>   (the children)
//        Medallion.Ingestion.Benchmarks --freshness [seconds (default 60)] [changes/s (default 2000)] [run|server (default both)]
//          Source-to-gold freshness: the same load while `medallion run --continuous` (or `medallion server`'s jobs)
//          keep bronze, a silver merge and a gold aggregate current and a probe reads gold over the SQL endpoint
//          (see Freshness). Target p99 <= 5 s.
//        Medallion.Ingestion.Benchmarks --kafka [messages (default 400,000)] [rounds (default 3)]
//          Kafka topics into bronze (json and raw payloads) against a bare consumer of the same topic, on librdkafka's
//          mock cluster in this process (see KafkaLoad); no PostgreSQL needed.
//        Medallion.Ingestion.Benchmarks --kill-loop <postgres|mariadb|kafka> [kills (default 1,000)] [minutes (default 60)]
//          Exactly-once under SIGKILL, a stress loop (see KillLoop): the ingest process is killed and restarted while a
//          writer changes the source, then bronze is compared with the source's own record; prints kills survived,
//          changes lost and doubled (each doubled change with its position, version and the kill before it). Run it
//          with nice -n 19 on a shared machine.
if (args.Length > 0 && args[0] == "--phase")
{
    return await Phases.RunAsync(args[1], args[2], args[3]);
}

if (args.Length > 1 && args[0] == "--kill-loop")
{
    return await KillLoop.RunAsync(
        args[1],
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000,
        TimeSpan.FromMinutes(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 60));
}

if (args.Length > 0 && args[0] == "--kill-child")
{
    return await KillLoop.ChildAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--kafka")
{
    string kafkaRoot = Directory.CreateTempSubdirectory("medallion-kafka-bench-").FullName;
    try
    {
        await KafkaLoad.RunAsync(
            kafkaRoot,
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400_000,
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
        return 0;
    }
    finally
    {
        Directory.Delete(kafkaRoot, recursive: true);
    }
}

if (args.Length > 0 && args[0] == "--freshness")
{
    string freshnessRoot = Directory.CreateTempSubdirectory("medallion-freshness-bench-").FullName;
    try
    {
        string freshnessPostgres = await Data.EnsureDatabaseAsync(TestServer());
        Freshness.Keeper[] keepers = args.Length > 3 ? [Enum.Parse<Freshness.Keeper>(args[3], ignoreCase: true)] : [Freshness.Keeper.Run, Freshness.Keeper.Server];
        foreach (Freshness.Keeper keeper in keepers)
        {
            await Freshness.RunAsync(
                freshnessRoot,
                freshnessPostgres,
                args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000,
                keeper);
        }
        return 0;
    }
    finally
    {
        await Data.DropCdcSlotAsync(await Data.EnsureDatabaseAsync(TestServer()));
        Directory.Delete(freshnessRoot, recursive: true);
    }
}

long rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 5_000_000;
int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
int rate = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;
string postgres = await Data.EnsureDatabaseAsync(TestServer());
string root = Directory.CreateTempSubdirectory("medallion-ingest-bench-").FullName;
try
{
    Console.WriteLine($"Ingestion benchmark: {rows:N0} rows full load, CDC {rate:N0} changes/s for {seconds} s; {Environment.ProcessorCount} cores, load average {Child.LoadAverage()}");
    if (rows > 0)
    {
        await Data.EnsureFullTableAsync(postgres, rows);
        FullLoad.Run(root, postgres, rows);
    }

    if (seconds > 0)
    {
        await CdcLoad.RunAsync(root, postgres, seconds, rate);
    }

    return 0;
}
finally
{
    await Data.DropCdcSlotAsync(postgres);
    Directory.Delete(root, recursive: true);
}

static string TestServer() => Environment.GetEnvironmentVariable("MEDALLION_TEST_PG") is { Length: > 0 } configured
    ? configured
    : "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";
