using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Medallion.TestSupport;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>
/// SIGKILLs <c>medallion run</c> (a process of its own) at exact phases of a run's writes, through a
/// <see cref="CrashPoint"/> armed in its environment: between a model's Delta commit and the catalog's record of it,
/// inside each catalog transaction before its commit, and (by cutting the SQLite write-ahead log short at every frame) in
/// the middle of a catalog commit. After each: the catalog file is whole (<c>integrity_check</c>) and reads as before or
/// after the write, never between; the next run succeeds, and an append model holds every upstream row exactly once.
/// </summary>
public sealed class RunKillPhaseTests : IDisposable
{
    private readonly TempDirectory _project = new("run-kill");

    public RunKillPhaseTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", "/* ---\nmaterialized: append\n--- */\nSELECT id, amount FROM bronze.orders");
        Write("models/gold/revenue.sql", "SELECT count(*) AS orders, sum(amount) AS revenue FROM silver.orders");
    }

    public void Dispose() => _project.Dispose();

    private string CatalogFile => Path.Combine(_project.Path, ".medallion", "catalog.db");

    private void Write(string path, string text)
    {
        string full = Path.Combine(_project.Path, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private async Task AppendBronzeAsync(int from, int to)
    {
        Cli.Result written = await Cli.RunAsync("delta", "write", Path.Combine(_project.Path, "warehouse", "bronze", "orders"), "--from", $"SELECT range AS id, range * 10 AS amount FROM range({from}, {to})");
        Assert.True(written.ExitCode == 0, written.Output + written.Error);
    }

    /// <summary>silver's rows counted, its distinct ids, and gold's figures, as one line; each bronze row once: "n,n,n,10*sum".</summary>
    private async Task<string> TablesAsync()
    {
        Cli.Result silver = await Cli.RunAsync("sql", "SELECT count(*) AS n, count(DISTINCT id) AS ids, (SELECT orders FROM gold.revenue) AS orders, (SELECT revenue FROM gold.revenue) AS revenue FROM silver.orders", "--format", "csv", "--project", _project.Path);
        Assert.True(silver.ExitCode == 0, silver.Output + silver.Error);
        return silver.Output.Trim().Split('\n')[^1];
    }

    private static string Expected(int rows) => $"{rows},{rows},{rows},{10L * rows * (rows - 1) / 2}";

    [Fact]
    public async Task A_run_killed_after_a_model_commits_and_before_the_catalog_records_it_is_followed_by_a_run_that_appends_no_row_twice()
    {
        await AppendBronzeAsync(0, 10);
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project.Path)).ExitCode);
        await AppendBronzeAsync(10, 20);

        (int exitCode, string printed) = await RunKilledAtAsync("run.committed.before-catalog");

        Assert.True(exitCode == 137, $"the run was to die by SIGKILL, but exited with {exitCode}: {printed}");
        Assert.Equal("ok", DiskFullTests.IntegrityCheck(CatalogFile));
        Cli.Result next = await Cli.RunAsync("run", "--project", _project.Path);
        Assert.True(next.ExitCode == 0, next.Output + next.Error);
        Assert.Equal(Expected(20), await TablesAsync());
    }

    [Fact]
    public async Task A_run_killed_inside_any_of_its_catalog_transactions_leaves_the_catalog_whole_and_the_next_run_appends_each_row_once()
    {
        await AppendBronzeAsync(0, 10);
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project.Path)).ExitCode);
        var log = new StringBuilder();
        int rows = 10;
        for (int n = 1; ; n++)
        {
            Assert.True(n <= 40, "a run made more than 40 catalog transactions:\n" + log);
            await AppendBronzeAsync(rows, rows + 10);
            rows += 10;
            (int exitCode, string printed) = await RunKilledAtAsync($"catalog.before-commit@{n}");
            log.AppendLine($"killed before catalog commit {n}: exit {exitCode}");
            Assert.Equal("ok", DiskFullTests.IntegrityCheck(CatalogFile));
            Cli.Result next = await Cli.RunAsync("run", "--project", _project.Path);
            Assert.True(next.ExitCode == 0, $"after {log}: {next.Output}{next.Error}");
            Assert.True(Expected(rows) == await TablesAsync(), $"after a kill before catalog commit {n} ({printed}):\n{log}");
            if (exitCode == 0)
            {
                // The run made fewer than n transactions: every one of them has been killed once.
                Assert.True(n > 3, $"a run made only {n - 1} catalog transactions");
                break;
            }

            Assert.True(exitCode == 137, $"the run was to die by SIGKILL, but exited with {exitCode}: {printed}");
        }
    }

    [Fact]
    public async Task A_catalog_commit_cut_short_at_any_point_of_its_write_ahead_log_reads_as_before_the_commit()
    {
        await AppendBronzeAsync(0, 10);
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project.Path)).ExitCode);
        using var copies = new TempDirectory("wal-cut");
        int changing = 0;
        for (int n = 1; ; n++)
        {
            Assert.True(n <= 40, "a run made more than 40 catalog transactions");
            // Commit n of the run is left in the write-ahead log: the process dies before any checkpoint moves it.
            (int exitCode, string printed) = await RunKilledAtAsync($"catalog.after-commit@{n}");
            if (exitCode == 0)
            {
                break;
            }

            Assert.True(exitCode == 137, $"the run was to die by SIGKILL, but exited with {exitCode}: {printed}");
            byte[] wal = await File.ReadAllBytesAsync(CatalogFile + "-wal");
            (long start, long end, int frame) = LastTransaction(wal);
            string before = Digest(copies.Path, wal, start), after = Digest(copies.Path, wal, end);
            changing += before == after ? 0 : 1;
            for (long cut = start + 1; cut < end; cut += frame / 3)
            {
                Assert.True(before == Digest(copies.Path, wal, cut), $"commit {n} of the run, its log cut at byte {cut} of {start}..{end}, reads neither as before nor as after it");
            }
        }

        Assert.True(changing >= 3, $"only {changing} of the run's catalog commits changed what the catalog holds");
    }

    /// <summary>Starts <c>medallion run</c> with <paramref name="point"/> armed and waits for it to end.</summary>
    private async Task<(int ExitCode, string Printed)> RunKilledAtAsync(string point)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "run", "--project", _project.Path })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[CrashPoint.EnvironmentVariable] = point;
        using Process run = Process.Start(start.WithoutDiagnosticFiles())!;
        Task<string> output = run.StandardOutput.ReadToEndAsync(), error = run.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await run.WaitForExitAsync(timeout.Token);
        return (run.ExitCode, await output + await error);
    }

    private const int WalHeader = 32, FrameHeader = 24;

    /// <summary>The byte range of the last committed transaction in a write-ahead log: after the commit frame before it, to the end of its own.</summary>
    private static (long Start, long End, int Frame) LastTransaction(byte[] wal)
    {
        int pageSize = (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
        int frame = FrameHeader + pageSize;
        var commitEnds = new List<long> { WalHeader };
        for (long at = WalHeader; at + frame <= wal.Length; at += frame)
        {
            if (!wal.AsSpan((int)at + 8, 8).SequenceEqual(wal.AsSpan(16, 8)))
            {
                // A frame of the log's previous generation (before a checkpoint restarted it): the log ends here.
                break;
            }

            if (BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan((int)at + 4)) != 0)
            {
                commitEnds.Add(at + frame);
            }
        }

        Assert.True(commitEnds.Count >= 2, "the write-ahead log holds no committed transaction");
        return (commitEnds[^2], commitEnds[^1], frame);
    }

    /// <summary>
    /// Opens a copy of the catalog with its write-ahead log cut at <paramref name="length"/> bytes (what a kill leaves when
    /// it lands while SQLite appends the frames of a commit), checks the file, and hashes every row of every table.
    /// </summary>
    private string Digest(string folder, byte[] wal, long length)
    {
        string copy = Path.Combine(folder, $"cut-{Guid.NewGuid():N}.db");
        File.Copy(CatalogFile, copy);
        File.WriteAllBytes(copy + "-wal", wal.AsSpan(0, (int)length).ToArray());
        string check = DiskFullTests.IntegrityCheck(copy);
        Assert.True(check == "ok", $"the catalog with its log cut at byte {length}: {check}");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (SqliteCommand list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (string table in tables)
        {
            using SqliteCommand rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{table}\"";
            using SqliteDataReader reader = rows.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                lines.Add(string.Join("|", values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
            }

            lines.Sort(StringComparer.Ordinal);
            text.Append(table).Append('\n').AppendJoin('\n', lines).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
