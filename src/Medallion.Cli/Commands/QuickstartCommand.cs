using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Browsing;
using Medallion.Cli.Output;
using Medallion.Cli.Quickstart;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion quickstart [dir]</c>: writes the demo project with a first batch of raw files, runs it, drops a
/// second batch and runs again (incremental), then prints what was built: tables per layer, quality, the
/// lineage of a gold table and the answer to a gold query.
/// </summary>
internal static class QuickstartCommand
{
    public const string DefaultDirectory = "medallion-demo";

    public static Command Create(TextWriter output)
    {
        var directory = new Argument<string>("dir")
        {
            Description = $"Where to create the demo project. Default: ./{DefaultDirectory}.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => DefaultDirectory,
        };
        var force = new Option<bool>("--force") { Description = "Delete and recreate the directory when it holds an earlier quickstart demo." };
        var storage = new Option<string?>("--storage") { Description = "Where the demo's tables go: a folder or an object store URI (s3://bucket/prefix, az://container/prefix, gs://bucket/prefix), reached with the standard variables. Default: the project's warehouse folder." };
        var command = new Command("quickstart", "Create a demo lakehouse (a Brazilian online shop), build bronze, silver and gold twice (the second run incremental), and show the result.")
        {
            directory, force, storage,
        };
        command.SetAction((parsed, cancellationToken) =>
            RunAsync(parsed.GetValue(directory) ?? DefaultDirectory, parsed.GetValue(force), parsed.GetValue(storage), output, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string directory, bool force, string? storage, TextWriter output, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        string root = Path.GetFullPath(directory);
        PrepareDirectory(root, directory, force);
        // The commands printed at the end read best with the path the user would type: relative below the current folder, absolute elsewhere.
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), root);
        string project = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? root : relative;

        await output.WriteLineAsync($"Medallion quickstart: a demo lakehouse for a small Brazilian online shop in {root}").ConfigureAwait(false);
        IReadOnlyList<string> files = await DemoProject.WriteAsync(root, storage, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Wrote the project: {string.Join(", ", files.Where(f => !f.StartsWith('.')))}").ConfigureAwait(false);

        var data = new DemoData();
        string dataDirectory = Path.Combine(root, "data");
        await WriteBatchAsync(output, data.WriteFirstBatch(dataDirectory), "two weeks of sign-ups, orders, items and payments").ConfigureAwait(false);
        await RunProjectAsync(root, "first run: everything is new", output, cancellationToken).ConfigureAwait(false);
        Dictionary<TableName, TableSummary> afterFirstRun = await ListTablesAsync(root, cancellationToken).ConfigureAwait(false);

        await WriteBatchAsync(output, data.WriteSecondBatch(dataDirectory), "a third week, profile updates and late status changes of week-two orders").ConfigureAwait(false);
        string secondRun = await RunProjectAsync(root, "second run: only the new files and rows are read", output, cancellationToken).ConfigureAwait(false);

        await WriteSummaryAsync(root, afterFirstRun, secondRun, output, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"Done in {DurationText.Format(elapsed.Elapsed)}. Explore it:").ConfigureAwait(false);
        foreach (string next in (string[])
        [
            $"./medallion tables --project {project}",
            $"./medallion describe silver.customers --project {project}",
            $"./medallion history silver.customers --project {project}",
            $"./medallion runs {ShortId(secondRun)} --project {project}",
            $"./medallion sql \"SELECT * FROM gold.customer_lifetime_value ORDER BY lifetime_value DESC LIMIT 5\" --project {project}",
            $"./medallion server --project {project}   # then open http://127.0.0.1:8080/ and sign in as admin (its first start prints the password)",
        ])
        {
            await output.WriteLineAsync("  " + next).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// An empty or missing directory is used as is. An earlier demo is recreated only with <c>--force</c>, and
    /// anything else is never deleted: the quickstart must not be a way to lose a folder by a typo.
    /// </summary>
    private static void PrepareDirectory(string root, string given, bool force)
    {
        if (!Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any())
        {
            return;
        }

        bool isDemo = IsDemo(root);
        if (isDemo && force)
        {
            Directory.Delete(root, recursive: true);
            return;
        }

        throw new MedallionException(
            ErrorCode.ProjectAlreadyExists,
            isDemo
                ? $"'{root}' already holds a quickstart demo.\nHelp: explore it with 'medallion tables --project {given}', recreate it with 'medallion quickstart {given} --force', or pass another directory."
                : $"'{root}' is not empty and is not a quickstart demo; the quickstart leaves it alone.\nHelp: pass an empty or new directory, e.g. 'medallion quickstart my-demo'.");
    }

    private static bool IsDemo(string root)
    {
        string file = Path.Combine(root, MedallionProject.FileName);
        return File.Exists(file)
            && File.ReadLines(file).Any(line => line.Trim() == $"name: {DemoProject.Name}");
    }

    /// <summary>"0 → 1" when a run committed a new version, "0" when none, "- → 0" for a table the second run created.</summary>
    private static string Versions(long? before, long? now) => (before, now) switch
    {
        (null, null) => "-",
        (null, long created) => "- → " + created.ToString(CultureInfo.InvariantCulture),
        (long same, long current) when same == current => current.ToString(CultureInfo.InvariantCulture),
        _ => $"{before?.ToString(CultureInfo.InvariantCulture) ?? "-"} → {now?.ToString(CultureInfo.InvariantCulture) ?? "-"}",
    };

    private static async Task WriteBatchAsync(TextWriter output, DemoData.BatchSummary batch, string what)
    {
        await output.WriteLineAsync().ConfigureAwait(false);
        string counts = string.Join(", ", batch.RowsByFile.Select(f => $"{f.Key} ({BrowsingText.Count(f.Value)} rows)"));
        await output.WriteLineAsync($"Batch {batch.Batch}: {what}. Raw files in data/: {counts}").ConfigureAwait(false);
    }

    /// <summary>Runs every model of the project once, printing the runner's summary; returns the run id.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.QuickstartRunFailed"/> when the run did not succeed; the runner's summary above says which step failed and why.</exception>
    private static async Task<string> RunProjectAsync(string root, string title, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"Running the project ({title})...").ConfigureAwait(false);
        MedallionProject project = await MedallionProject.LoadAsync(root, cancellationToken: cancellationToken).ConfigureAwait(false);
        RunResult result = await ProjectRunner.RunAsync(project, new RunOptions(), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(RunReport.Summary(result)).ConfigureAwait(false);
        if (result.Status == RunStatus.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (!result.Succeeded)
        {
            throw new MedallionException(
                ErrorCode.QuickstartRunFailed,
                $"The quickstart's run {result.RunId} did not succeed, so it stops here (the summary above names the failed steps).\nHelp: inspect it with 'medallion runs {ShortId(result.RunId)} --project {root}'; this is a bug in the demo, please report it.");
        }

        return result.RunId;
    }

    /// <summary>
    /// Enough of a run id to name it: ids are time-ordered (UUID v7), so runs minutes apart share their first
    /// eight characters, while the first twelve (the millisecond) tell them apart.
    /// </summary>
    private static string ShortId(string runId) => runId.Length > 12 ? runId[..12] : runId;

    private static async Task<Dictionary<TableName, TableSummary>> ListTablesAsync(string root, CancellationToken cancellationToken)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        return (await lakehouse.ListTablesAsync(null, cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Name);
    }

    private static async Task WriteSummaryAsync(
        string root, Dictionary<TableName, TableSummary> afterFirstRun, string secondRun, TextWriter output, CancellationToken cancellationToken)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TableSummary> tables = await lakehouse.ListTablesAsync(null, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Tables per layer (bronze: raw as loaded; silver: cleaned and conformed; gold: answers)").ConfigureAwait(false);
        TextTable.Write(
            output,
            ["layer", "table", "rows after run 1", "rows now", "versions", "description"],
            [false, false, true, true, false, false],
            tables.Select(t =>
            {
                TableSummary? before = afterFirstRun.GetValueOrDefault(t.Name);
                return new[]
                {
                    t.Name.Namespace, t.Name.Name, BrowsingText.Count(before?.Rows), BrowsingText.Count(t.Rows), Versions(before?.Version, t.Version),
                    BrowsingText.Shorten(t.Description, 60),
                };
            }).ToList());

        // The second run succeeded (the quickstart stops otherwise), so the catalog holds it.
        IReadOnlyList<QualityResultRecord> quality = (await lakehouse.GetRunAsync(secondRun, cancellationToken).ConfigureAwait(false)).Quality;
        List<QualityResultRecord> broken = quality.Where(q => q.Broken).ToList();
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Quality of the second run (warn: recorded; quarantine: rows set aside in <table>_quarantine; fail: nothing committed)").ConfigureAwait(false);
        BrowsingText.WriteQuality(output, broken, withModel: true);
        await output.WriteLineAsync($"({BrowsingText.Plural(quality.Count - broken.Count, "other rule")} passed, of {quality.Count})").ConfigureAwait(false);

        var lineageTable = TableName.Parse(DemoProject.LineageTable);
        IReadOnlyList<LineageEdge> lineage = await lakehouse.GetLineageAsync(lineageTable, null, LineageDirection.Upstream, cancellationToken: cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"Lineage of {DemoProject.LineageTable} (from the models' SQL, parsed by DuckDB)").ConfigureAwait(false);
        await output.WriteAsync(LineageCommand.Render(lineage, lineageTable, null, LineageCommand.LineageFormat.Text)).ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Top categories by revenue, from gold:").ConfigureAwait(false);
        await output.WriteLineAsync("  " + DemoProject.SampleQuery.ReplaceLineEndings(" ")).ConfigureAwait(false);
        await using LakehouseSession session = await LakehouseSession.OpenAsync(
            ProjectCatalog.Tables(lakehouse.Project), cancellationToken: cancellationToken).ConfigureAwait(false);
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(DemoProject.SampleQuery, cancellationToken: cancellationToken).ConfigureAwait(false);
        ResultWriter.Write(reader, OutputFormat.Table, output);
    }
}
