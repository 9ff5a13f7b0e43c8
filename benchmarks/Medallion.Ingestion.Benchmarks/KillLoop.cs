using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Cli.Tests;
using Medallion.Ingestion.Tests.Kafka;
using Medallion.Ingestion.Kafka;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using MySql.Data.MySqlClient;
using Npgsql;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>
/// The exactly-once guarantee under SIGKILL, as a stress loop (not CI): a writer changes a source while an ingest
/// process of this program (what <c>medallion ingest --continuous --interval 0.2</c> runs, or a Kafka consumer) is
/// started and SIGKILLed again and again; one more run drains the source, and then bronze is compared with the
/// source's own record of its changes. Half of the kills land at a random moment after the start (startup, resume,
/// first batch), the other half a random 0-250 ms after the process's next bronze commit appeared (inside a batch,
/// a commit or the acknowledgement after it).
/// </summary>
/// <remarks>
/// PostgreSQL (logical replication) and MariaDB (binlog) record every change with a trigger into a history table in
/// the source database; Kafka records each message the mock cluster acknowledged (a sequence number in its JSON). A
/// change bronze holds more than once is printed with the Delta version of each copy and the kill before that
/// version, so a window that doubles a change names its timing.
/// </remarks>
internal static class KillLoop
{
    private const string Table = "kill_loop";
    private const string Topic = "kill_loop";
    private const int Partitions = 3;
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(0.2);
    // About 10 transactions a second: an ingest restarted every few seconds on a loaded machine keeps up, so most
    // kills land inside streaming and committing rather than in a backlog.
    private static readonly (int From, int To) s_pauseMs = (20, 180);

    /// <summary>The parent: <paramref name="kills"/> kills or <paramref name="budget"/>, whichever ends first; returns 1 when a change was lost or doubled.</summary>
    public static async Task<int> RunAsync(string kind, int kills, TimeSpan budget)
    {
        string root = Directory.CreateTempSubdirectory("medallion-kill-loop-").FullName;
        try
        {
            Target target = kind switch
            {
                "postgres" => await Target.PostgresAsync(root),
                "mariadb" => await Target.MariaDbAsync(root),
                "kafka" => Target.Kafka(root),
                _ => throw new ArgumentException($"unknown kill-loop source '{kind}' (postgres, mariadb or kafka)"),
            };
            using (target)
            {
                return await LoopAsync(target, kind, kills, budget);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> LoopAsync(Target target, string kind, int kills, TimeSpan budget)
    {
        Console.WriteLine($"Kill loop: {kind}, up to {kills:N0} kills in {budget.TotalMinutes:0} min; {Environment.ProcessorCount} cores, load average {Child.LoadAverage()}");
        var random = new Random(36);
        var log = new List<Kill>();
        using var stopWriter = new CancellationTokenSource();
        Task<int> writer = Task.FromResult(0);
        Stopwatch clock = Stopwatch.StartNew();
        int restartsWithoutCommit = 0;
        while (log.Count < kills && clock.Elapsed < budget)
        {
            long before = target.NewestVersion();
            using Process child = target.StartChild(once: false);
            long started = Stopwatch.GetTimestamp();
            if (log.Count == 0)
            {
                // Changes start once the first commit (the snapshot of the empty table) is there: every change is a change event.
                await WaitAsync(() => target.NewestVersion() >= 0 || child.HasExited, TimeSpan.FromMinutes(2));
                writer = target.WriteAsync(stopWriter.Token);
            }

            bool afterCommit = log.Count % 2 == 1;
            if (afterCommit)
            {
                long seen = target.NewestVersion();
                await WaitAsync(() => target.NewestVersion() > Math.Max(before, seen) || child.HasExited, TimeSpan.FromSeconds(30));
                await Task.Delay(random.Next(0, 250));
            }
            else
            {
                await Task.Delay(random.Next(50, 1500));
            }

            if (child.HasExited)
            {
                throw new InvalidOperationException($"The ingest process ended by itself before kill {log.Count + 1}: {await child.StandardError.ReadToEndAsync()}");
            }

            long versionBefore = target.NewestVersion();
            child.Kill();
            await child.WaitForExitAsync();
            long versionAfter = target.NewestVersion();
            log.Add(new Kill(log.Count + 1, Stopwatch.GetElapsedTime(started), afterCommit, before, versionBefore, versionAfter));
            restartsWithoutCommit = versionAfter > before ? 0 : restartsWithoutCommit + 1;
            if (restartsWithoutCommit == 50)
            {
                throw new InvalidOperationException($"50 ingest processes in a row committed nothing (newest version {versionAfter}); the loop makes no progress.");
            }

            if (log.Count % 50 == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{log.Count} kills in {clock.Elapsed.TotalMinutes:0.0} min, bronze version {versionAfter}, load average {Child.LoadAverage()}"));
            }
        }

        await stopWriter.CancelAsync();
        int written = await writer;
        using (Process drain = target.StartChild(once: true))
        {
            await drain.WaitForExitAsync();
            if (drain.ExitCode != 0)
            {
                throw new InvalidOperationException($"The draining ingest failed ({drain.ExitCode}): {await drain.StandardError.ReadToEndAsync()}");
            }
        }

        Comparison result = await target.CompareAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{log.Count} kills survived in {clock.Elapsed.TotalMinutes:0.0} min ({log.Count / clock.Elapsed.TotalMinutes:0.0} a minute); source: {written:N0} transactions or messages, {result.SourceChanges:N0} changes; bronze: {result.BronzeChanges:N0} changes in {target.NewestVersion() + 1:N0} versions; lost {result.Lost.Count}, doubled {result.Doubled.Count}, out of order {result.OutOfOrder}"));
        foreach (string lost in result.Lost.Take(20))
        {
            Console.WriteLine("lost: " + lost);
        }

        foreach ((string change, long version) in result.Doubled.Take(40))
        {
            // The kill that ended the process before the one that committed this copy.
            Kill? kill = log.LastOrDefault(k => k.NewestAtKill < version);
            Console.WriteLine($"doubled: {change} in version {version}; " + (kill is null ? "before the first kill" : $"after kill {kill}"));
        }

        return result.Lost.Count == 0 && result.Doubled.Count == 0 && result.OutOfOrder == 0 ? 0 : 1;
    }

    /// <summary>The child: ingests until killed, or drains once when <paramref name="arguments"/> end with <c>once</c>.</summary>
    public static async Task<int> ChildAsync(string[] arguments)
    {
        string kind = arguments[0];
        bool once = arguments[^1] == "once";
        using DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        if (kind == "kafka")
        {
            // A group of its own per process: the position is the Delta log's, and a new group is assigned every
            // partition at once instead of waiting out the killed member's session.
            var ingestion = new KafkaIngestion(new DeltaWriter(connection), arguments[1], new KafkaSourceOptions
            {
                Name = "kill_loop",
                Target = "bronze." + Topic,
                BootstrapServers = arguments[2],
                GroupId = "kill-loop-" + Environment.ProcessId,
                Topics = [Topic],
                MaxBatchMessages = 50,
                MaxBatchDelay = TimeSpan.FromMilliseconds(100),
            });
            await ingestion.RunAsync(untilCaughtUp: once);
            return 0;
        }

        MedallionProject project = await MedallionProject.LoadAsync(arguments[1]);
        if (once)
        {
            await DatabaseSourceLoader.LoadAsync(project, project.DatabaseSources[0], new DeltaWriter(connection));
            return 0;
        }

        await foreach (DatabaseTableResult _ in DatabaseSourceLoader.RunContinuousAsync(project, project.DatabaseSources, [], new DeltaWriter(connection), s_interval))
        {
        }

        return 0;
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            await Task.Delay(10);
        }
    }

    private sealed record Kill(int Number, TimeSpan After, bool AfterCommit, long NewestAtStart, long NewestAtKill, long NewestAfterKill)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Number} ({(AfterCommit ? "aimed after a commit" : "at a random moment")}, {After.TotalMilliseconds:0} ms after the start; newest version {NewestAtStart} at the start, {NewestAtKill} when the kill was sent, {NewestAfterKill} after the process died)");
    }

    private sealed record Comparison(long SourceChanges, long BronzeChanges, List<string> Lost, List<(string Change, long Version)> Doubled, int OutOfOrder);

    /// <summary>A source, the table its changes land in, and how to compare the two.</summary>
    private sealed class Target : IDisposable
    {
        private readonly string _tablePath;
        private readonly string[] _childArguments;
        private readonly Func<CancellationToken, Task<int>> _write;
        private readonly Func<Task<List<string>>> _history;
        private readonly string _positionColumns;
        private readonly string _changeColumns;
        private readonly IDisposable? _owned;

        private Target(string tablePath, string[] childArguments, Func<CancellationToken, Task<int>> write, Func<Task<List<string>>> history, string positionColumns, string changeColumns, IDisposable? owned = null)
        {
            _tablePath = tablePath;
            _childArguments = childArguments;
            _write = write;
            _history = history;
            _positionColumns = positionColumns;
            _changeColumns = changeColumns;
            _owned = owned;
        }

        public static async Task<Target> PostgresAsync(string root)
        {
            string server = Environment.GetEnvironmentVariable("MEDALLION_TEST_PG") is { Length: > 0 } configured ? configured : "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";
            string postgres = await Data.EnsureDatabaseAsync(server);
            ChangeWorkload workload = ChangeWorkload.Postgres(Table);
            await ExecuteAsync(new NpgsqlConnection(postgres), $"""
                SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{Table}';
                DROP PUBLICATION IF EXISTS {Table};
                DROP TABLE IF EXISTS {Table}, {Table}_history;
                DROP FUNCTION IF EXISTS {Table}_record;
                """);
            await ExecuteAsync(new NpgsqlConnection(postgres), workload.SetupSql);
            var settings = new NpgsqlConnectionStringBuilder(postgres);
            string project = WriteProject(root, "postgres", settings.Host!, settings.Port, settings.Database!, settings.Username!, settings.Password!, $"public.{Table}", $"slot: {Table}");
            return new Target(
                Path.Combine(project, "warehouse", "bronze", Table),
                ["postgres", project],
                stop => workload.WriteAsync(new NpgsqlConnection(postgres), s_pauseMs, stop),
                () => ChangeWorkload.ReadLinesAsync(new NpgsqlConnection(postgres), workload.HistorySql),
                "_lsn, _seq",
                "_op || ',' || id || ',' || v",
                new SlotDrop(postgres));
        }

        public static async Task<Target> MariaDbAsync(string root)
        {
            string server = Environment.GetEnvironmentVariable("MEDALLION_TEST_MYSQL") is { Length: > 0 } configured ? configured : "Server=127.0.0.1;Port=53306;User ID=medallion;Password=medallion";
            const string Database = "medallion_kill_loop";
            string serverOnly = new MySqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString;
            await ExecuteAsync(new MySqlConnection(serverOnly), $"DROP DATABASE IF EXISTS {Database}");
            await ExecuteAsync(new MySqlConnection(serverOnly), $"CREATE DATABASE {Database} CHARACTER SET utf8mb4");
            string mysql = new MySqlConnectionStringBuilder(server) { Database = Database, Pooling = false, CharacterSet = "utf8mb4" }.ConnectionString;
            ChangeWorkload workload = ChangeWorkload.MariaDb(Table);
            await ExecuteAsync(new MySqlConnection(mysql), workload.SetupSql);
            var settings = new MySqlConnectionStringBuilder(mysql);
            string project = WriteProject(root, "mysql", settings.Server, (int)settings.Port, Database, settings.UserID, settings.Password, Table, null);
            return new Target(
                Path.Combine(project, "warehouse", "bronze", Table),
                ["mariadb", project],
                stop => workload.WriteAsync(new MySqlConnection(mysql), s_pauseMs, stop),
                () => ChangeWorkload.ReadLinesAsync(new MySqlConnection(mysql), workload.HistorySql),
                "_binlog_file, _binlog_pos, _seq",
                "_op || ',' || id || ',' || v");
        }

        public static Target Kafka(string root)
        {
            var cluster = new KafkaMockCluster();
            cluster.CreateTopic(Topic, Partitions);
            string table = Path.Combine(root, "bronze", Topic);
            var produced = new List<string>();
            // The first commit that the loop waits for before writing: one message, the first change.
            cluster.Produce(Topic, 0, "0", "{\"seq\": 0}");
            cluster.Flush();
            produced.Add("0");
            return new Target(
                table,
                ["kafka", table, cluster.BootstrapServers],
                stop => ProduceAsync(cluster, produced, stop),
                () => Task.FromResult(produced.Order(StringComparer.Ordinal).ToList()),
                "_partition, _offset",
                "CAST(seq AS VARCHAR)",
                cluster);
        }

        public Process StartChild(bool once)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("--kill-child");
            foreach (string argument in _childArguments)
            {
                start.ArgumentList.Add(argument);
            }

            if (once)
            {
                start.ArgumentList.Add("once");
            }

            Process process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            return process;
        }

        public Task<int> WriteAsync(CancellationToken stop) => _write(stop);

        /// <summary>The newest version in the table's log (-1 before the first commit), read from the folder, not through the reader under test.</summary>
        public long NewestVersion()
        {
            string log = Path.Combine(_tablePath, "_delta_log");
            if (!Directory.Exists(log))
            {
                return -1;
            }

            long newest = -1;
            foreach (string file in Directory.EnumerateFiles(log, "*.json"))
            {
                if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out long version))
                {
                    newest = Math.Max(newest, version);
                }
            }

            return newest;
        }

        /// <summary>Compares the source's changes with bronze's (as the product's reader sees the table), in order.</summary>
        public async Task<Comparison> CompareAsync()
        {
            List<string> history = await _history();
            using var connection = new DuckDbConnection();
            connection.Open();
            var writer = new DeltaWriter(connection);
            Medallion.Delta.Snapshots.Snapshot snapshot = (await writer.TryGetSnapshotAsync(_tablePath))!;
            Dictionary<string, long> versions = AddedIn();
            LocalMirror mirror = LocalMirror.Of(StorageResolver.Default.OpenStore(_tablePath));
            string files = string.Join(", ", snapshot.Files.Select(f => DuckDbConnection.QuoteLiteral(mirror.PathOf(f))));
            string notSnapshot = _positionColumns.StartsWith("_partition", StringComparison.Ordinal) ? "true" : "_op <> 'snapshot'";
            var bronze = new List<string>();
            var doubled = new List<(string, long)>();
            using (DuckDbCommand command = connection.CreateCommand())
            {
                command.CommandText = $"""
                    SELECT {_changeColumns}, CAST(struct_pack({_positionColumns}) AS VARCHAR), filename, count(*) OVER (PARTITION BY {_positionColumns})
                    FROM read_parquet([{files}], filename = true, union_by_name = true)
                    WHERE {notSnapshot}
                    ORDER BY {_positionColumns}
                    """;
                using DbDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    bronze.Add(reader.GetString(0));
                    if (reader.GetInt64(3) > 1)
                    {
                        doubled.Add(($"{reader.GetString(0)} at {reader.GetString(1)}", versions.GetValueOrDefault(Path.GetFullPath(reader.GetString(2)), -1)));
                    }
                }
            }

            if (_positionColumns.StartsWith("_partition", StringComparison.Ordinal))
            {
                // Kafka keeps order per partition only: compare the sets of sequence numbers.
                bronze.Sort(StringComparer.Ordinal);
            }

            var remaining = bronze.GroupBy(b => b, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var lost = new List<string>();
            foreach (string change in history)
            {
                if (remaining.TryGetValue(change, out int left) && left > 0)
                {
                    remaining[change] = left - 1;
                }
                else
                {
                    lost.Add(change);
                }
            }

            // Nothing lost or doubled, but not in the source's order.
            int outOfOrder = lost.Count == 0 && doubled.Count == 0 ? history.Zip(bronze).Count(pair => pair.First != pair.Second) : 0;
            return new Comparison(history.Count, bronze.Count, lost, doubled, outOfOrder);
        }

        /// <summary>Which version added each data file, from the log's commit files.</summary>
        private Dictionary<string, long> AddedIn()
        {
            var added = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string commit in Directory.GetFiles(Path.Combine(_tablePath, "_delta_log"), "*.json"))
            {
                long version = long.Parse(Path.GetFileNameWithoutExtension(commit), CultureInfo.InvariantCulture);
                foreach (string line in File.ReadLines(commit))
                {
                    using JsonDocument action = JsonDocument.Parse(line);
                    if (action.RootElement.TryGetProperty("add", out JsonElement add))
                    {
                        added[Path.GetFullPath(Path.Combine(_tablePath, Uri.UnescapeDataString(add.GetProperty("path").GetString()!)))] = version;
                    }
                }
            }

            return added;
        }

        public void Dispose() => _owned?.Dispose();
    }

    /// <summary>Drops the loop's replication slot and publication at the end: a slot left behind holds the server's WAL.</summary>
    private sealed class SlotDrop(string postgres) : IDisposable
    {
        public void Dispose() => ExecuteAsync(new NpgsqlConnection(postgres), $"""
            SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{Table}';
            DROP PUBLICATION IF EXISTS {Table};
            """).GetAwaiter().GetResult();
    }

    private static string WriteProject(string root, string type, string host, int port, string database, string user, string password, string table, string? setting)
    {
        string directory = Path.Combine(root, "project");
        Directory.CreateDirectory(Path.Combine(directory, "sources"));
        File.WriteAllText(Path.Combine(directory, MedallionProject.FileName), $"""
            name: kill_loop
            connections:
              source_db:
                type: {type}
                host: {host}
                port: {port}
                database: {database}
                user: {user}
                password: {password}
            """);
        File.WriteAllText(Path.Combine(directory, "sources", "source.yml"), $"""
            sources:
              - name: source
                connection: source_db
                tables:
                  - table: {table}
                    mode: cdc
                    batch_rows: 50
            {(setting is null ? "" : "        " + setting)}
            """);
        return directory;
    }

    /// <summary>Messages numbered from 1, each to a random partition, in bursts of 1 to 3 (as the databases' transactions), until stopped; returns how many were produced (each acknowledged).</summary>
    private static async Task<int> ProduceAsync(KafkaMockCluster cluster, List<string> produced, CancellationToken stop)
    {
        var random = new Random(6);
        int sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            for (int i = random.Next(1, 4); i > 0; i--)
            {
                sequence++;
                cluster.Produce(Topic, random.Next(Partitions), sequence.ToString(CultureInfo.InvariantCulture), $"{{\"seq\": {sequence}}}");
                produced.Add(sequence.ToString(CultureInfo.InvariantCulture));
            }

            cluster.Flush();
            await Task.Delay(random.Next(s_pauseMs.From, s_pauseMs.To), CancellationToken.None);
        }

        return sequence;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }
}
