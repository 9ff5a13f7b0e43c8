using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Ingestion;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Running;

public static partial class ProjectRunner
{
    /// <summary>
    /// Runs the project again and again until <paramref name="stop"/> is cancelled. The database sources with a CDC
    /// table the run reads stream in passes of their own, one after the other, each committing at least every
    /// <paramref name="interval"/>; beside them, passes of the models (and of the other sources, read again) start as
    /// soon as a stream pass committed something, or after <paramref name="interval"/> at the latest. So a change waits
    /// for one micro-batch and one pass of the models, never for the models of the pass before to finish streaming.
    /// Without CDC sources the passes load and build in turn. Models with nothing new upstream are not rebuilt, and a
    /// pass that committed nothing and failed nothing leaves no run in the catalog. Stopping ends a stream's pass at
    /// once (every batch it committed stands with its position, so nothing is lost or read twice) and lets the other
    /// passes under way finish and commit, then returns; <paramref name="abort"/> cancels those too (their running
    /// steps commit nothing). Nothing is half-committed either way.
    /// </summary>
    /// <param name="environment">The project with its catalog (recorded into and left open), engines, stores and logs.</param>
    /// <param name="options">Selection, threads, progress (reported for every pass).</param>
    /// <param name="interval">The micro-batch interval; also the longest pause between passes of the models.</param>
    /// <param name="afterRun">Called with each pass's outcome (e.g. to print a summary), one call at a time.</param>
    /// <param name="stop">Ends the loop after the current passes.</param>
    /// <param name="abort">Cancels the passes under way (a stop whose grace ran out); the loop ends too.</param>
    /// <returns>The last pass's outcome (of the models when sources stream); a failed pass does not end the loop (the next pass retries).</returns>
    /// <exception cref="MedallionException">The project cannot run at all (see <see cref="RunAsync(ProjectEnvironment, RunOptions?, CancellationToken)"/>).</exception>
    public static async Task<RunResult?> RunContinuousAsync(ProjectEnvironment environment, RunOptions options, TimeSpan interval, Func<RunResult, Task>? afterRun, CancellationToken stop, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        // One engine, graph and catalog for every pass: a pass then costs its steps, not a parse of every model.
        MedallionProject project = environment.Project;
        using DuckDbDatabase? ownedDatabase = options.Database is null ? environment.Engines.OpenWork() : null;
        DuckDbDatabase database = options.Database ?? ownedDatabase!;
        ModelGraph? graph = options.Graph;
        if (graph is null)
        {
            using DuckDbConnection parser = database.CreateConnection();
            graph = await ModelGraph.BuildAsync(project, parser: parser, cancellationToken: stop).ConfigureAwait(false);
        }

        if (options.Graph is null)
        {
            await ProjectCatalog.RegisterAsync(graph, await environment.GetCatalogAsync(stop).ConfigureAwait(false), stop).ConfigureAwait(false);
        }

        RunOptions pass = options with { Graph = graph, Database = database, ChangeInterval = interval, ForgetIdleRun = true };
        using var reporting = new SemaphoreSlim(1, 1);
        async Task ReportAsync(RunResult result)
        {
            if (afterRun is null)
            {
                return;
            }

            await reporting.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await afterRun(result).ConfigureAwait(false);
            }
            finally
            {
                reporting.Release();
            }
        }

        List<DatabaseSourceDefinition> streamed = StreamedSources(graph, options);
        // An abort stops the loop as well as the passes.
        using var stopOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        if (streamed.Count == 0)
        {
            return await PassesAsync(environment, pass, interval, ReportAsync, stopOrAbort.Token, abort).ConfigureAwait(false);
        }

        // The stream's passes read through the same connectors, so a CDC table's replication stream stays open between them.
        var connectors = new SourceConnectors(interval);
        await using (connectors.ConfigureAwait(false))
        {
            return await StreamAndBuildAsync(environment, pass, streamed, connectors, interval, ReportAsync, stopOrAbort.Token, abort).ConfigureAwait(false);
        }
    }

    /// <summary>The database sources that have a CDC table this run reads (their other tables go with them: one writer per bronze table).</summary>
    private static List<DatabaseSourceDefinition> StreamedSources(ModelGraph graph, RunOptions options)
    {
        HashSet<TableName> read = TablesRead(graph, options);
        read.ExceptWith(options.StreamedTables);
        return graph.Project.DatabaseSources
            .Where(s => s.Tables.Any(t => t.Mode == IngestionMode.Cdc && read.Contains(t.Target)))
            .ToList();
    }

    /// <summary>Passes that load every source, then build the models, in turn.</summary>
    private static async Task<RunResult?> PassesAsync(ProjectEnvironment environment, RunOptions pass, TimeSpan interval, Func<RunResult, Task> report, CancellationToken stop, CancellationToken abort)
    {
        RunResult? last = null;
        while (!stop.IsCancellationRequested)
        {
            Stopwatch started = Stopwatch.StartNew();
            // The pass itself is not cancelled by stop: it ends on its own within about an interval and commits.
            try
            {
                last = await RunAsync(environment, pass, abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                // Aborted before the pass reached its steps (recording the run): the pass before stays the last.
                break;
            }

            pass = pass with { SkipIdleModels = true };
            await report(last).ConfigureAwait(false);
            if (!await RestAsync(interval - started.Elapsed, stop).ConfigureAwait(false))
            {
                break;
            }
        }

        return last;
    }

    /// <summary>
    /// The streamed sources' passes back to back in one task; the passes of the models (and of the other sources) in
    /// another, each started by a stream commit or after an interval, and the first after the first stream pass, so
    /// the models never read a bronze table its snapshot has not created yet.
    /// </summary>
    private static async Task<RunResult?> StreamAndBuildAsync(
        ProjectEnvironment environment, RunOptions pass, List<DatabaseSourceDefinition> streamed, SourceConnectors connectors, TimeSpan interval, Func<RunResult, Task> report, CancellationToken stop, CancellationToken abort)
    {
        RunOptions streamPass = pass with { SourcesOnly = true, Sources = streamed.Select(s => s.Name).ToList(), Connectors = connectors };
        var streamedTables = new HashSet<TableName>(pass.StreamedTables);
        streamedTables.UnionWith(streamed.SelectMany(s => s.Tables.Select(t => t.Target)));
        RunOptions buildPass = pass with { StreamedTables = streamedTables };
        using var committed = new SemaphoreSlim(0, 1);
        using var firstStreamPass = new SemaphoreSlim(0, 1);
        using var stopStream = CancellationTokenSource.CreateLinkedTokenSource(stop);

        async Task StreamAsync()
        {
            bool first = true;
            while (!stopStream.IsCancellationRequested)
            {
                Stopwatch started = Stopwatch.StartNew();
                // The stream's pass stops with the loop: its batches commit one by one with their positions, so a stop
                // loses and repeats nothing, and a pass still connecting (retrying a busy server) must not hold the stop.
                RunResult result;
                try
                {
                    result = await RunAsync(environment, streamPass, stopStream.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopStream.IsCancellationRequested)
                {
                    // Stopped before the pass reached its steps (recording the run): there is nothing to report.
                    break;
                }

                if (result.Steps.Any(s => s.CommittedVersion is not null) && committed.CurrentCount == 0)
                {
                    committed.Release();
                }

                await report(result).ConfigureAwait(false);
                if (first)
                {
                    first = false;
                    firstStreamPass.Release();
                }

                // A pass streams for about an interval; one that ended early (a failure, a quiet source) waits out the rest.
                if (!await RestAsync(interval - started.Elapsed, stopStream.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }

        Task stream = Task.Run(StreamAsync, CancellationToken.None);
        RunResult? last = null;
        try
        {
            await Task.WhenAny(firstStreamPass.WaitAsync(stop), stream).ConfigureAwait(false);
            // A stream that cannot run at all (the project no longer loads) ends the loop with its error, below.
            while (!stop.IsCancellationRequested && !stream.IsCompleted)
            {
                last = await RunAsync(environment, buildPass, abort).ConfigureAwait(false);
                buildPass = buildPass with { SkipIdleModels = true };
                await report(last).ConfigureAwait(false);
                await committed.WaitAsync(interval, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped between passes of the models; the stream ends its own pass below.
        }
        catch
        {
            // The models' loop cannot go on: the stream must not outlive it.
            await stopStream.CancelAsync().ConfigureAwait(false);
            await stream.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await stream.ConfigureAwait(false);
        return last;
    }

    /// <summary>Waits <paramref name="rest"/> (nothing when negative); false when stopped meanwhile.</summary>
    private static async Task<bool> RestAsync(TimeSpan rest, CancellationToken stop)
    {
        try
        {
            await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }
}
