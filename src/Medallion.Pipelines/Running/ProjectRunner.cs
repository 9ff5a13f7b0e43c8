using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Runs a project: loads the sources the selected models read, then builds the models in dependency order,
/// independent ones in parallel, and records everything in the catalog.
/// </summary>
/// <remarks>
/// <para>Guarantees: a step that fails leaves its table exactly as it was (nothing is committed); everything
/// downstream of it is <see cref="StepState.Skipped"/> while independent branches go on; a cancelled run stops its
/// running steps (their tables unchanged) and ends <see cref="RunStatus.Cancelled"/>.</para>
/// <para><c>append</c> and <c>merge</c> models are incremental without watermarks: each run records the version of
/// every upstream table it read, and the next run reads only what those tables gained since (added files, or the
/// change data feed). When that cannot be done faithfully the model is recomputed in full, and the step's notes say why.
/// Each step runs in its own DuckDB connection on one shared in-memory database.</para>
/// </remarks>
public static partial class ProjectRunner
{
    /// <summary>Runs the models <paramref name="options"/> selects (all by default) and the sources they read.</summary>
    /// <param name="project">The loaded project.</param>
    /// <param name="options">Selection, full refresh, threads, progress; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the run: running steps stop, nothing more starts, the result says <see cref="RunStatus.Cancelled"/>.</param>
    /// <returns>The outcome of every step; a failed step does not throw.</returns>
    /// <exception cref="MedallionException">
    /// The project cannot run at all: a model does not parse or names an unknown table (<see cref="ErrorCode.ModelSqlInvalid"/>,
    /// <see cref="ErrorCode.ModelUnknownTable"/>, <see cref="ErrorCode.ModelCycle"/>), the selection matches nothing
    /// (<see cref="ErrorCode.ModelSelectionInvalid"/>), or the catalog is not a local file (<see cref="ErrorCode.RunStorageUnsupported"/>).
    /// </exception>
    public static async Task<RunResult> RunAsync(MedallionProject project, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        // A caller without a host: the project's environment for this run alone, its catalog closed after it.
        ProjectEnvironment environment = new(project, new ProjectEnvironmentOptions { Time = options?.Time });
        await using (environment.ConfigureAwait(false))
        {
            return await RunAsync(environment, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the models <paramref name="options"/> selects (all by default) and the sources they read, in the host's <paramref name="environment"/>.</summary>
    /// <param name="environment">The project with its catalog (recorded into and left open), engines, stores and logs.</param>
    /// <param name="options">Selection, full refresh, threads, progress; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the run: running steps stop, nothing more starts, the result says <see cref="RunStatus.Cancelled"/>.</param>
    /// <returns>The outcome of every step; a failed step does not throw.</returns>
    /// <exception cref="MedallionException">As <see cref="RunAsync(MedallionProject, RunOptions?, CancellationToken)"/>.</exception>
    public static Task<RunResult> RunAsync(ProjectEnvironment environment, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(environment, options ?? new RunOptions(), FileSourceStep.Instance, ExpectationGate.Instance, cancellationToken);

    internal static async Task<RunResult> RunCoreAsync(ProjectEnvironment environment, RunOptions options, ISourceLoader sources, IQualityGate quality, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1, nameof(options));
        if (options.Variables.Keys.FirstOrDefault(n => n.Length == 0 || !(char.IsAsciiLetter(n[0]) || n[0] == '_') || !n.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) is { } badName)
        {
            throw new ArgumentException($"'{badName}' cannot name a DuckDB variable. Expected letters, digits and underscores, not starting with a digit.", nameof(options));
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        MedallionProject project = environment.Project;
        TimeProvider time = options.Time ?? environment.Time;
        if (options.Graph is not null && !ReferenceEquals(options.Graph.Project, project))
        {
            throw new ArgumentException("RunOptions.Graph is the graph of another project than the one being run.", nameof(options));
        }

        using DuckDbDatabase? ownedDatabase = options.Database is null ? environment.Engines.OpenWork() : null;
        DuckDbDatabase database = options.Database ?? ownedDatabase!;
        ModelGraph? graph = options.Graph;
        if (graph is null)
        {
            using DuckDbConnection parser = database.CreateConnection();
            graph = await ModelGraph.BuildAsync(project, parser: parser, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        IReadOnlySet<TableName> selected = options.SourcesOnly ? new HashSet<TableName>() : graph.Select(options.Select);
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        if (options.Graph is null)
        {
            await ProjectCatalog.RegisterAsync(graph, catalog, options.Environment, cancellationToken).ConfigureAwait(false);
        }

        ModelTables tables = (await ModelTables.LoadAsync(project, catalog, options.Environment, cancellationToken).ConfigureAwait(false)).With(options.Pointers);
        RunRecord run = options.RunId is { } runId
            ? await catalog.Runs.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}' to record into.\nHelp: queue the run in the catalog first.")
            : await catalog.Runs.StartRunAsync(options.Select, options.Environment, cancellationToken).ConfigureAwait(false);
        using Activity? span = PipelineTracing.StartRun(run.Id, options.Select);
        var context = new RunContext(environment, graph, catalog, database, run.Id, options, time, run.StartedAt, sources, quality) { Tables = tables };
        List<StepResult> steps = await new RunScheduler(context, PlanSteps(graph, selected, options)).RunAsync(cancellationToken).ConfigureAwait(false);
        RunStatus status = steps.Any(s => s.State == StepState.Cancelled) ? RunStatus.Cancelled
            : steps.All(s => s.State == StepState.Succeeded) ? RunStatus.Succeeded
            : RunStatus.Failed;
        var result = new RunResult(run.Id, status, steps, elapsed.Elapsed);
        PipelineTracing.EndRun(span, status, result.Error);
        if (options.RunId is not null)
        {
            // The run's owner decides its status (it may try again).
        }
        else if (options.ForgetIdleRun && status == RunStatus.Succeeded && steps.All(s => s.CommittedVersion is null))
        {
            await catalog.Runs.DeleteRunAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            await catalog.Runs.FinishRunAsync(run.Id, status, result.Error, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// The source tables a run loads: those its selection names (every source when it names none) and those the selected
    /// models read, or with <see cref="RunOptions.SourcesOnly"/> none of these; and those of the named sources.
    /// </summary>
    private static HashSet<TableName> TablesRead(ModelGraph graph, RunOptions options)
    {
        var read = new HashSet<TableName>();
        if (!options.SourcesOnly)
        {
            IReadOnlySet<TableName> selected = graph.Select(options.Select);
            read.UnionWith(graph.Models.Where(m => selected.Contains(m.Name)).SelectMany(m => graph.GetUpstream(m.Name)));
            read.UnionWith(graph.SelectSources(options.Select));
        }

        IReadOnlyList<string> namedSources = options.Sources;
        bool Named(string name) => namedSources.Contains(name, StringComparer.OrdinalIgnoreCase);
        read.UnionWith(graph.Project.Sources.Where(s => Named(s.Name)).Select(s => s.Target));
        read.UnionWith(graph.Project.DatabaseSources.Where(s => Named(s.Name)).SelectMany(s => s.Tables.Select(t => t.Target)));
        read.UnionWith(graph.Project.ApiSources.Where(s => Named(s.Name)).Select(s => s.Target));
        return read;
    }

    /// <summary>
    /// The sources selected or read by the selected models, then the selected models in dependency order, each with the
    /// steps it waits for.
    /// </summary>
    private static List<RunStep> PlanSteps(ModelGraph graph, IReadOnlySet<TableName> selected, RunOptions options)
    {
        List<ModelDefinition> models = graph.Models.Where(m => selected.Contains(m.Name)).ToList();
        HashSet<TableName> read = TablesRead(graph, options);
        read.ExceptWith(options.StreamedTables);
        var steps = graph.Project.Sources.Where(s => read.Contains(s.Target)).Select(s => new RunStep(s.Target, StepKind.Source, [], s, null)).ToList();
        steps.AddRange(graph.Project.DatabaseSources
            .SelectMany(s => s.Tables.Where(t => read.Contains(t.Target)).Select(t => new RunStep(t.Target, StepKind.Source, [], null, null, new DatabaseStep(s, t)))));
        steps.AddRange(graph.Project.ApiSources.Where(s => read.Contains(s.Target)).Select(s => new RunStep(s.Target, StepKind.Source, [], null, null, Api: s)));
        var inRun = steps.Select(s => s.Table).Concat(models.Select(m => m.Name)).ToHashSet();
        steps.AddRange(models.Select(m => new RunStep(m.Name, StepKind.Model, graph.GetUpstream(m.Name).Where(inRun.Contains).ToList(), null, m)));
        return OrderRelationshipChecks(steps);
    }

    /// <summary>
    /// A relationships rule reads the table it points at, so its model runs after that table's step when both are in
    /// the run and the check sees this run's parent. The edge only orders: it is not lineage, and a failed parent does
    /// not skip the model. It is left out where it would close a cycle (the parent reads the model, directly or through
    /// other steps); there the check sees the parent as the previous run left it.
    /// </summary>
    private static List<RunStep> OrderRelationshipChecks(List<RunStep> steps)
    {
        Dictionary<TableName, RunStep> byTable = steps.ToDictionary(s => s.Table);
        for (int i = 0; i < steps.Count; i++)
        {
            RunStep step = steps[i];
            if (step.Model is null)
            {
                continue;
            }

            var after = new List<TableName>();
            IEnumerable<TableName> parents = step.Model.Config.Expectations
                .Where(e => e.Kind == ExpectationKind.Relationships && e.To is { } to && !to.Equals(step.Table))
                .Select(e => e.To!.Value)
                .Distinct();
            foreach (TableName parent in parents)
            {
                if (byTable.ContainsKey(parent) && !step.WaitsFor.Contains(parent) && !Precedes(byTable, step.Table, parent))
                {
                    after.Add(parent);
                }
            }

            if (after.Count > 0)
            {
                steps[i] = byTable[step.Table] = step with { RunsAfter = after };
            }
        }

        return steps;
    }

    /// <summary>True when <paramref name="later"/> waits for or runs after <paramref name="first"/>, directly or through other steps.</summary>
    private static bool Precedes(Dictionary<TableName, RunStep> steps, TableName first, TableName later)
    {
        var seen = new HashSet<TableName>();
        var stack = new Stack<TableName>([later]);
        while (stack.TryPop(out TableName table))
        {
            if (table.Equals(first))
            {
                return true;
            }

            if (seen.Add(table) && steps.TryGetValue(table, out RunStep? step))
            {
                foreach (TableName next in step.WaitsFor.Concat(step.RunsAfter))
                {
                    stack.Push(next);
                }
            }
        }

        return false;
    }
}
