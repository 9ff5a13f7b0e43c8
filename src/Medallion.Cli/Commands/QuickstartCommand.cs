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

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion quickstart [dir]</c>: writes the demo project with a first batch of raw files, runs it, drops a
/// second batch and runs again (incremental), then prints what was built: tables per layer, quality, the
/// lineage of a gold table and the answer to a gold query.
/// </summary>
internal static class QuickstartCommand
{
    public const string DefaultDirectory = "medallion-demo";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var directory = new Argument<string>("dir")
        {
            Description = $"Where to create the demo project. Default: ./{DefaultDirectory}.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => DefaultDirectory,
        };
        var force = new Option<bool>("--force") { Description = "Delete and recreate the directory when it holds an earlier quickstart demo." };
        var command = new Command("quickstart", "Create a demo lakehouse (a Brazilian online shop), build bronze, silver and gold twice (the second run incremental), and show the result.")
        {
            directory, force,
        };
        command.SetAction((parsed, cancellationToken) =>
            RunAsync(parsed.GetValue(directory) ?? DefaultDirectory, parsed.GetValue(force), output, error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string directory, bool force, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        string root = Path.GetFullPath(directory);
        PrepareDirectory(root, directory, force);
        string project = Path.GetRelativePath(Directory.GetCurrentDirectory(), root);

        await output.WriteLineAsync($"Medallion quickstart: a demo lakehouse for a small Brazilian online shop in {root}").ConfigureAwait(false);
        IReadOnlyList<string> files = await DemoProject.WriteAsync(root, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Wrote the project: {string.Join(", ", files.Where(f => !f.StartsWith('.')))}").ConfigureAwait(false);

        var data = new DemoData();
        string dataDirectory = Path.Combine(root, "data");
        await WriteBatchAsync(output, data.WriteFirstBatch(dataDirectory), "two weeks of sign-ups, orders, items and payments").ConfigureAwait(false);
        string firstRun = await RunProjectAsync(root, "first run: everything is new", output, error, cancellationToken).ConfigureAwait(false);

        await WriteBatchAsync(output, data.WriteSecondBatch(dataDirectory), "a third week, profile updates and late status changes of week-two orders").ConfigureAwait(false);
        string secondRun = await RunProjectAsync(root, "second run: only the new files and rows are read", output, error, cancellationToken).ConfigureAwait(false);

        await WriteSummaryAsync(root, firstRun, secondRun, output, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"Done in {ResultWriter.FormatElapsed(elapsed.Elapsed)}. Explore it:").ConfigureAwait(false);
        foreach (string next in (string[])
        [
            $"./medallion tables --project {project}",
            $"./medallion describe silver.customers --project {project}",
            $"./medallion history silver.customers --project {project}",
            $"./medallion runs {secondRun[..8]} --project {project}",
            $"./medallion sql \"SELECT * FROM gold.customer_lifetime_value ORDER BY lifetime_value DESC LIMIT 5\" --project {project}",
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

    private static async Task WriteBatchAsync(TextWriter output, DemoData.BatchSummary batch, string what)
    {
        await output.WriteLineAsync().ConfigureAwait(false);
        string counts = string.Join(", ", batch.RowsByFile.Select(f => $"{f.Key} ({BrowsingText.Count(f.Value)} rows)"));
        await output.WriteLineAsync($"Batch {batch.Batch}: {what}. Raw files in data/: {counts}").ConfigureAwait(false);
    }

    /// <summary>Runs every model of the project once, printing the runner's progress; returns the run id.</summary>
    /// <exception cref="MedallionException">The run failed; the message names the models.</exception>
    private static Task<string> RunProjectAsync(string root, string title, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        _ = root;
        _ = title;
        _ = output;
        _ = error;
        cancellationToken.ThrowIfCancellationRequested();
        throw new MedallionException(
            ErrorCode.Unknown,
            "This build has no pipeline runner yet, so the quickstart stops after writing the project and its first batch.\nHelp: inspect the files in the demo directory; 'medallion sql' can query data/ directly.");
    }

    private static async Task WriteSummaryAsync(string root, string firstRun, string secondRun, TextWriter output, CancellationToken cancellationToken)
    {
        await using ProjectBrowser browser = await ProjectBrowser.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        List<TableSummary> tables = await browser.ListTablesAsync(null, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Tables (bronze: raw as loaded; silver: cleaned and conformed; gold: answers)").ConfigureAwait(false);
        var versionsBefore = new Dictionary<TableName, long>();
        if (browser.Catalog is not null)
        {
            foreach (ModelRunRecord model in await browser.Catalog.GetModelRunsAsync(firstRun, cancellationToken).ConfigureAwait(false))
            {
                if (model.CommittedVersion is long version)
                {
                    versionsBefore[model.Model] = version;
                }
            }
        }

        TextTable.Write(
            output,
            ["layer", "table", "rows", "version", "after run 1", "description"],
            [false, false, true, true, true, false],
            tables.Select(t => new[]
            {
                t.Name.Namespace, t.Name.Name, BrowsingText.Count(t.Rows), t.Version?.ToString(CultureInfo.InvariantCulture) ?? "-",
                versionsBefore.TryGetValue(t.Name, out long before) ? before.ToString(CultureInfo.InvariantCulture) : "-",
                BrowsingText.Shorten(t.Description, 70),
            }).ToList());

        if (browser.Catalog is not null)
        {
            List<QualityResultRecord> quality = await browser.Catalog.GetQualityResultsAsync(secondRun, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync("Quality of the second run (warn: recorded; quarantine: rows set aside in <table>_quarantine; fail: nothing committed)").ConfigureAwait(false);
            BrowsingText.WriteQuality(output, quality, withModel: true);
        }

        ModelGraph graph = await browser.GetGraphAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"Lineage of {DemoProject.LineageTable} (from the models' SQL, parsed by DuckDB)").ConfigureAwait(false);
        await output.WriteAsync(LineageCommand.Render(graph, TableName.Parse(DemoProject.LineageTable), null, LineageDirection.Upstream, LineageCommand.LineageFormat.Text)).ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Top categories by revenue, from gold:").ConfigureAwait(false);
        await output.WriteLineAsync("  " + DemoProject.SampleQuery.ReplaceLineEndings(" ")).ConfigureAwait(false);
        await using LakehouseSession session = await LakehouseSession.OpenAsync(
            new DirectoryTableLocator(browser.Project.Resolve(browser.Project.Storage)), cancellationToken: cancellationToken).ConfigureAwait(false);
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(DemoProject.SampleQuery, cancellationToken: cancellationToken).ConfigureAwait(false);
        ResultWriter.Write(reader, OutputFormat.Table, output);
    }
}
