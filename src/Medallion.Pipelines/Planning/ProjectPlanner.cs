using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines.ModelSql;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Planning;

/// <summary>
/// Compares the project's files with what an environment last built (<see cref="EnvironmentStore"/>) and applies the
/// difference: <c>medallion plan</c> and <c>medallion apply</c>.
/// </summary>
/// <remarks>
/// <para>A model whose fingerprint (<see cref="ModelFingerprints"/>) is what the environment holds is unchanged, or
/// metadata-only when its docs changed. Otherwise its own definition changed or only something upstream of it did. A
/// change of its own is non-breaking when its SQL parses as before but for projections added to the outer SELECT (with
/// the same config and variables): every old column is computed as before, over the same input, so keeps its values
/// and type, and only the model rebuilds (SQLMesh's rule). Any other change of its own is breaking: it and everything
/// downstream (indirect) rebuild. A forward-only change (<c>forward_only: true</c> or <c>--forward-only</c>) rebuilds
/// nothing; the next runs write with the new definition.</para>
/// <para>Applies to one environment are serialized by its apply lock: an apply plans only once it holds it, so a
/// second apply waiting behind the first plans against what the first built and finds nothing left to do.</para>
/// </remarks>
public static class ProjectPlanner
{
    /// <summary>The environment runs build and plans compare with by default.</summary>
    public const string ProductionEnvironment = EnvironmentStore.Production;

    /// <summary>Plans the project's files against <see cref="PlanOptions.Environment"/>.</summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's; the model graph's
    /// errors (<see cref="ErrorCode.ModelSqlInvalid"/>, <see cref="ErrorCode.ModelUnknownTable"/>, <see cref="ErrorCode.ModelCycle"/>).
    /// </exception>
    public static async Task<ProjectPlan> PlanAsync(ProjectEnvironment environment, PlanOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        options ??= new PlanOptions();
        EnvironmentStore.CheckName(options.Environment);
        Stopwatch elapsed = Stopwatch.StartNew();
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        using DuckDbConnection parser = environment.Engines.OpenScratch();
        ModelGraph graph = await ModelGraph.BuildAsync(environment.Project, parser: parser, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlyDictionary<TableName, ModelStateRecord> states = await StatesAsync(catalog, options.Environment, cancellationToken).ConfigureAwait(false);
        IReadOnlyDictionary<TableName, ModelFingerprint> fingerprints = ModelFingerprints.Compute(graph, options.Variables);
        var classifier = new ChangeClassifier(graph, states, fingerprints, options, parser);
        List<ModelChange> changes = await classifier.ClassifyAsync(cancellationToken).ConfigureAwait(false);
        int unchanged = changes.Count(c => c.Kind == ModelChangeKind.Unchanged);
        return new ProjectPlan(options.Environment, options.ForwardOnly, changes.Where(c => c.Kind != ModelChangeKind.Unchanged).ToList(), unchanged, elapsed.Elapsed);
    }

    /// <summary>
    /// Applies the project's files to the environment: takes its apply lock (waiting for another apply, or refusing with
    /// <see cref="ApplyOptions.NoWait"/>), plans, rebuilds the models the plan rebuilds in one run (with a full refresh;
    /// sources are not loaded, the models read them as they are), records the new state of the changed models that need
    /// no rebuild, forgets the removed ones, and releases the lock.
    /// </summary>
    /// <exception cref="MedallionException">
    /// As <see cref="PlanAsync"/>; <see cref="ErrorCode.PlanApplyInProgress"/>, naming the holder, when another apply holds
    /// the environment and <see cref="ApplyOptions.NoWait"/> is set.
    /// </exception>
    public static async Task<ApplyResult> ApplyAsync(ProjectEnvironment environment, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        options ??= new ApplyOptions();
        string name = options.Plan.Environment;
        EnvironmentStore.CheckName(name);
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        LeaseHolder holder = LeaseHolder.ForThisProcess();
        await AcquireAsync(catalog, environment.Time, name, holder, options, cancellationToken).ConfigureAwait(false);
        using var renewing = new CancellationTokenSource();
        Task renewal = RenewAsync(catalog, environment.Time, name, holder, options.LockTimeToLive, renewing.Token);
        try
        {
            ProjectPlan plan = await PlanAsync(environment, options.Plan, cancellationToken).ConfigureAwait(false);
            (List<TableName> builds, Dictionary<TableName, string?> pointers, List<ModelStateRecord> reused) = await PhysicalTablesAsync(catalog, plan, cancellationToken).ConfigureAwait(false);
            RunResult? run = null;
            if (builds.Count > 0)
            {
                run = await ProjectRunner.RunAsync(
                    environment,
                    new RunOptions
                    {
                        Environment = name,
                        Pointers = pointers,
                        Select = string.Join(' ', builds),
                        FullRefresh = true,
                        Threads = options.Threads,
                        Variables = options.Plan.Variables,
                        // The plan is about definitions: the rebuilt models read their sources as they are.
                        StreamedTables = environment.Project.Tables.Where(t => environment.Project.Models.All(m => !m.Name.Equals(t))).ToHashSet(),
                        Progress = options.Progress,
                    },
                    cancellationToken).ConfigureAwait(false);
            }

            if (run is null || run.Status == RunStatus.Succeeded)
            {
                await catalog.Environments.SetModelStatesAsync(reused, cancellationToken).ConfigureAwait(false);
            }

            (Dictionary<TableName, string?> clones, List<string> notes) = await CloneForwardOnlyAsync(environment, catalog, plan, cancellationToken).ConfigureAwait(false);
            (List<TableName> recorded, List<TableName> forgotten) = await RecordAsync(environment, catalog, plan, options.Plan, clones, cancellationToken).ConfigureAwait(false);
            return new ApplyResult(plan, run, recorded, forgotten) { Reused = reused.Select(r => r.Model).ToList(), Cloned = clones.Keys.ToList(), Notes = notes };
        }
        finally
        {
            await renewing.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            await catalog.Environments.ReleaseApplyLockAsync(name, holder, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Points <paramref name="to"/> at the tables <paramref name="from"/> built, in one catalog transaction and with no
    /// recompute (no Delta commit): <see cref="EnvironmentStore.PromoteAsync"/>, under the apply locks of both environments
    /// so that no apply to either is half done meanwhile. The tables <paramref name="to"/> held stay its previous set, for
    /// <see cref="RollbackAsync"/>.
    /// </summary>
    /// <returns>How many models <paramref name="to"/> now holds.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNotFound"/> when <paramref name="from"/> built nothing; <see cref="ErrorCode.EnvironmentNameInvalid"/>;
    /// <see cref="ErrorCode.PlanApplyInProgress"/> with <see cref="ApplyOptions.NoWait"/> while an apply holds either.
    /// </exception>
    public static Task<int> PromoteAsync(ProjectEnvironment environment, string from, string to, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnvironmentStore.CheckName(from);
        EnvironmentStore.CheckName(to);
        return UnderLocksAsync(environment, [from, to], options, catalog => catalog.Environments.PromoteAsync(from, to, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Puts <paramref name="name"/> back on the tables it held before its last promotion, in one catalog transaction and with
    /// no recompute; a second rollback undoes the first (<see cref="EnvironmentStore.RollbackAsync"/>).
    /// </summary>
    /// <returns>How many models the environment now holds.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNotFound"/> when nothing was promoted to it.</exception>
    public static Task<int> RollbackAsync(ProjectEnvironment environment, string name, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnvironmentStore.CheckName(name);
        return UnderLocksAsync(environment, [name], options, catalog => catalog.Environments.RollbackAsync(name, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Drops environment <paramref name="name"/>: its pointers (and its kept previous set) go in one catalog transaction
    /// (<see cref="EnvironmentStore.DropAsync"/>), taken under its apply lock, which it does not wait for. Its tables are
    /// left to the janitor (<see cref="Environments.EnvironmentJanitor"/>), which removes them after its retention.
    /// </summary>
    /// <returns>How many pointers were removed.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentProtected"/> for <c>prod</c>; <see cref="ErrorCode.EnvironmentInUse"/> while an apply,
    /// promotion or rollback holds its apply lock; <see cref="ErrorCode.EnvironmentNotFound"/> when it holds nothing;
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's.
    /// </exception>
    public static async Task<int> DropAsync(ProjectEnvironment environment, string name, CancellationToken cancellationToken = default)
    {
        EnvironmentStore.CheckName(name);
        if (name == ProductionEnvironment)
        {
            // Refused before any lock is taken, with the store's own words.
            CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            return await catalog.Environments.DropAsync(name, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await UnderLocksAsync(environment, [name], new ApplyOptions { NoWait = true }, catalog => catalog.Environments.DropAsync(name, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.PlanApplyInProgress)
        {
            throw new MedallionException(
                ErrorCode.EnvironmentInUse,
                $"Environment '{name}' cannot be dropped while an apply, promotion or rollback works on it. {e.Message.Split('\n')[0]}\nHelp: drop it once that is done.",
                e);
        }
    }

    private static async Task<int> UnderLocksAsync(ProjectEnvironment environment, string[] names, ApplyOptions? options, Func<CatalogStore, Task<int>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        options ??= new ApplyOptions();
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        LeaseHolder holder = LeaseHolder.ForThisProcess();
        // Taken in one order by everyone, so a promotion each way never waits on the other.
        List<string> held = [];
        try
        {
            foreach (string name in names.Order(StringComparer.Ordinal))
            {
                await AcquireAsync(catalog, environment.Time, name, holder, options, cancellationToken).ConfigureAwait(false);
                held.Add(name);
            }

            return await work(catalog).ConfigureAwait(false);
        }
        finally
        {
            foreach (string name in held)
            {
                await catalog.Environments.ReleaseApplyLockAsync(name, holder, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// What the environment holds of each model: its own rows over <c>prod</c>'s, since an environment reads from
    /// <c>prod</c> what it has not built (a new one starts as <c>prod</c>).
    /// </summary>
    private static async Task<IReadOnlyDictionary<TableName, ModelStateRecord>> StatesAsync(CatalogStore catalog, string name, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<TableName, ModelStateRecord> own = await catalog.Environments.GetModelStatesAsync(name, cancellationToken).ConfigureAwait(false);
        if (name == ProductionEnvironment)
        {
            return own;
        }

        var states = new Dictionary<TableName, ModelStateRecord>(await catalog.Environments.GetModelStatesAsync(ProductionEnvironment, cancellationToken).ConfigureAwait(false));
        foreach ((TableName model, ModelStateRecord state) in own)
        {
            states[model] = state;
        }

        return states;
    }

    /// <summary>
    /// Where the apply builds each model the plan rebuilds. In <c>prod</c>, its current table, as before environments. In
    /// another environment, the physical table of its new fingerprint (<see cref="ModelTables.VersionPointer"/>), never one
    /// another environment reads: a table some environment already points at with that fingerprint holds that version's
    /// data, so it is pointed at and not built again (<paramref name="catalog"/>'s rows of it, as this environment's).
    /// </summary>
    private static async Task<(List<TableName> Builds, Dictionary<TableName, string?> Pointers, List<ModelStateRecord> Reused)> PhysicalTablesAsync(
        CatalogStore catalog, ProjectPlan plan, CancellationToken cancellationToken)
    {
        var pointers = new Dictionary<TableName, string?>();
        var reused = new List<ModelStateRecord>();
        if (plan.Environment == ProductionEnvironment)
        {
            return (plan.Rebuilds.ToList(), pointers, reused);
        }

        List<ModelStateRecord> all = await catalog.Environments.ListAllModelStatesAsync(cancellationToken).ConfigureAwait(false);
        var builds = new List<TableName>();
        foreach (ModelChange change in plan.Changes.Where(c => c.Rebuild))
        {
            string pointer = ModelTables.VersionPointer(change.Model, change.NewFingerprint!);
            if (all.FirstOrDefault(s => s.Model.Equals(change.Model) && s.Location == pointer && s.Fingerprint == change.NewFingerprint) is { } built)
            {
                reused.Add(built with { Environment = plan.Environment });
            }
            else
            {
                pointers[change.Model] = pointer;
                builds.Add(change.Model);
            }
        }

        return (builds, pointers, reused);
    }

    /// <summary>
    /// In an environment other than prod, gives each model with a forward-only change a table of its own that starts as a
    /// zero-copy shallow clone of the table it reads now (prod's), so that its next builds write there with the new
    /// definition over real rows and prod's table is never written. A model the environment already has a table of its
    /// own for keeps it. Returns the pointers of the clones (or of tables already there with that fingerprint) and, for
    /// a table that cannot be cloned, why (it then goes on reading prod's table).
    /// </summary>
    private static async Task<(Dictionary<TableName, string?> Clones, List<string> Notes)> CloneForwardOnlyAsync(
        ProjectEnvironment environment, CatalogStore catalog, ProjectPlan plan, CancellationToken cancellationToken)
    {
        var clones = new Dictionary<TableName, string?>();
        var notes = new List<string>();
        if (plan.Environment == ProductionEnvironment)
        {
            return (clones, notes);
        }

        IReadOnlyDictionary<TableName, ModelStateRecord> own = await catalog.Environments.GetModelStatesAsync(plan.Environment, cancellationToken).ConfigureAwait(false);
        IReadOnlyDictionary<TableName, ModelStateRecord> prod = await catalog.Environments.GetModelStatesAsync(ProductionEnvironment, cancellationToken).ConfigureAwait(false);
        ModelTables tables = await ModelTables.LoadAsync(environment.Project, catalog, plan.Environment, cancellationToken).ConfigureAwait(false);
        using DuckDbConnection connection = environment.Engines.OpenScratch();
        foreach (ModelChange change in plan.Changes.Where(c => c.Kind == ModelChangeKind.ForwardOnly))
        {
            if (own.TryGetValue(change.Model, out ModelStateRecord? mine) && mine.Location is not null && mine.Location != prod.GetValueOrDefault(change.Model)?.Location)
            {
                continue; // Its own table already: the change applies to its next builds there.
            }

            string pointer = ModelTables.VersionPointer(change.Model, change.NewFingerprint!);
            string target = ModelTables.Resolve(environment.Project, change.Model, pointer);
            if (!await environment.Project.Stores.IsDeltaTableAsync(target, cancellationToken).ConfigureAwait(false))
            {
                (long? version, string? reason) = await ShallowClone.CreateAsync(environment.Project.Stores, connection, tables.Location(change.Model), target, cancellationToken).ConfigureAwait(false);
                if (version is null)
                {
                    notes.Add($"{change.Model} reads prod's table: it was not cloned, as {reason}");
                    continue;
                }
            }

            clones[change.Model] = pointer;
        }

        return (clones, notes);
    }

    /// <summary>Records the state of the changed models the plan does not rebuild (at <paramref name="clones"/>' tables for those cloned), and forgets the removed ones.</summary>
    private static async Task<(List<TableName> Recorded, List<TableName> Forgotten)> RecordAsync(
        ProjectEnvironment environment, CatalogStore catalog, ProjectPlan plan, PlanOptions options, Dictionary<TableName, string?> clones, CancellationToken cancellationToken)
    {
        List<ModelChange> kept = plan.Changes.Where(c => !c.Rebuild && c.Kind != ModelChangeKind.Removed).ToList();
        if (kept.Count > 0)
        {
            using DuckDbConnection parser = environment.Engines.OpenScratch();
            ModelGraph graph = await ModelGraph.BuildAsync(environment.Project, parser: parser, cancellationToken: cancellationToken).ConfigureAwait(false);
            IReadOnlyDictionary<TableName, ModelFingerprint> fingerprints = ModelFingerprints.Compute(graph, options.Variables);
            IReadOnlyDictionary<TableName, ModelStateRecord> states = await StatesAsync(catalog, plan.Environment, cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = environment.Time.GetUtcNow();
            List<ModelStateRecord> records = kept.Where(c => states.ContainsKey(c.Model)).Select(c =>
            {
                ModelStateRecord old = states[c.Model];
                ModelFingerprint fingerprint = fingerprints[c.Model];
                return old with
                {
                    Environment = plan.Environment,
                    Location = clones.TryGetValue(c.Model, out string? clone) ? clone : old.Location,
                    Fingerprint = fingerprint.Fingerprint,
                    DefinitionHash = fingerprint.DefinitionHash,
                    MetadataHash = fingerprint.MetadataHash,
                    Sql = graph.GetModel(c.Model).Sql,
                    BuiltAt = now,
                };
            }).ToList();
            await catalog.Environments.SetModelStatesAsync(records, cancellationToken).ConfigureAwait(false);
        }

        List<TableName> removed = plan.Changes.Where(c => c.Kind == ModelChangeKind.Removed).Select(c => c.Model).ToList();
        if (removed.Count > 0)
        {
            await catalog.Environments.RemoveModelStatesAsync(plan.Environment, removed, cancellationToken).ConfigureAwait(false);
        }

        return (kept.Select(c => c.Model).ToList(), removed);
    }

    private static async Task AcquireAsync(CatalogStore catalog, TimeProvider time, string environment, LeaseHolder holder, ApplyOptions options, CancellationToken cancellationToken)
    {
        string? replacing = null;
        while (true)
        {
            try
            {
                await catalog.Environments.AcquireApplyLockAsync(environment, holder, options.LockTimeToLive, replacing, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (MedallionException e) when (e.Code == ErrorCode.PlanApplyInProgress)
            {
                CatalogLease? lease = await catalog.Environments.GetApplyLockAsync(environment, cancellationToken).ConfigureAwait(false);
                if (lease is null)
                {
                    continue; // Released between the two statements.
                }

                if (lease.Holder.IsGoneLocalProcess() && lease.Holder.Id != replacing)
                {
                    // Its holder was killed: take its lock over rather than wait for it to lapse.
                    replacing = lease.Holder.Id;
                    continue;
                }

                if (options.NoWait)
                {
                    throw;
                }

                await Task.Delay(options.WaitInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RenewAsync(CatalogStore catalog, TimeProvider time, string environment, LeaseHolder holder, TimeSpan timeToLive, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(timeToLive / 3, time, stop).ConfigureAwait(false);
                try
                {
                    await catalog.Environments.RenewApplyLockAsync(environment, holder, timeToLive, stop).ConfigureAwait(false);
                }
                catch (MedallionException e) when (e.IsTransient)
                {
                    // The catalog was busy this time: two more tries remain before the lock lapses.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The apply ended.
        }
    }

    /// <summary>The lines of <paramref name="newText"/> against <paramref name="oldText"/> that changed, with two lines of context; null when the texts are equal.</summary>
    internal static string? Diff(string oldText, string newText)
    {
        if (string.Equals(oldText, newText, StringComparison.Ordinal))
        {
            return null;
        }

        List<DiffPiece> lines = InlineDiffBuilder.Diff(oldText, newText, ignoreWhiteSpace: false).Lines;
        const int Context = 2;
        var text = new StringBuilder();
        int lastShown = -1;
        for (int i = 0; i < lines.Count; i++)
        {
            bool near = Enumerable.Range(Math.Max(0, i - Context), Math.Min(lines.Count, i + Context + 1) - Math.Max(0, i - Context)).Any(j => lines[j].Type != ChangeType.Unchanged);
            if (!near)
            {
                continue;
            }

            if (lastShown >= 0 && i > lastShown + 1)
            {
                text.Append("  ...\n");
            }

            text.Append(lines[i].Type switch { ChangeType.Inserted => "+ ", ChangeType.Deleted => "- ", _ => "  " }).Append(lines[i].Text).Append('\n');
            lastShown = i;
        }

        return text.ToString();
    }

    /// <summary>Classifies every model of the graph (and every model the environment holds that the project lost).</summary>
    private sealed class ChangeClassifier(
        ModelGraph graph,
        IReadOnlyDictionary<TableName, ModelStateRecord> states,
        IReadOnlyDictionary<TableName, ModelFingerprint> fingerprints,
        PlanOptions options,
        DuckDbConnection parser)
    {
        private readonly Dictionary<TableName, ModelChangeKind> _kinds = [];

        public async Task<List<ModelChange>> ClassifyAsync(CancellationToken cancellationToken)
        {
            var changes = new List<ModelChange>();
            foreach (ModelDefinition model in graph.Models)
            {
                ModelChange change = await ClassifyAsync(model, cancellationToken).ConfigureAwait(false);
                _kinds[model.Name] = change.Kind;
                changes.Add(change);
            }

            foreach (ModelStateRecord state in states.Values.Where(s => !graph.Project.Models.Any(m => m.Name.Equals(s.Model))).OrderBy(s => s.Model.ToString(), StringComparer.Ordinal))
            {
                changes.Add(new ModelChange(state.Model, ModelChangeKind.Removed, false, [], [], [], Diff(state.Sql, string.Empty), state.Fingerprint, null));
            }

            return changes;
        }

        private async Task<ModelChange> ClassifyAsync(ModelDefinition model, CancellationToken cancellationToken)
        {
            ModelFingerprint fingerprint = fingerprints[model.Name];
            if (!states.TryGetValue(model.Name, out ModelStateRecord? state))
            {
                return new ModelChange(model.Name, ModelChangeKind.Added, true, [], [], [], null, null, fingerprint.Fingerprint);
            }

            ModelChange Change(ModelChangeKind kind, bool rebuild, IReadOnlyList<TableName> causes, IReadOnlyList<string> changed) =>
                new(model.Name, kind, rebuild, causes, changed, Downstream(model.Name, changed), Diff(state.Sql, model.Sql), state.Fingerprint, fingerprint.Fingerprint);

            if (state.Fingerprint == fingerprint.Fingerprint)
            {
                return Change(state.MetadataHash == fingerprint.MetadataHash ? ModelChangeKind.Unchanged : ModelChangeKind.MetadataOnly, false, [], []);
            }

            if (state.DefinitionHash == fingerprint.DefinitionHash)
            {
                // Changed only through what it reads.
                List<TableName> upstream = graph.GetUpstream(model.Name).ToList();
                List<TableName> breaking = upstream.Where(u => _kinds.TryGetValue(u, out ModelChangeKind k) && k is ModelChangeKind.Breaking or ModelChangeKind.Indirect or ModelChangeKind.Added).ToList();
                List<TableName> sources = upstream.Where(u => !_kinds.ContainsKey(u)).ToList();
                bool modelsChanged = upstream.Any(u => _kinds.TryGetValue(u, out ModelChangeKind k) && k is not (ModelChangeKind.Unchanged or ModelChangeKind.MetadataOnly));
                if (breaking.Count > 0 || !modelsChanged)
                {
                    // Downstream of a breaking change, or of a source whose definition changed.
                    List<TableName> causes = breaking.Count > 0 ? breaking : sources;
                    return KeepsHistory(model)
                        ? Change(ModelChangeKind.ForwardOnly, false, causes, ChangedThrough(model.Name, causes))
                        : Change(ModelChangeKind.Indirect, true, causes, ChangedThrough(model.Name, causes));
                }

                return Change(ModelChangeKind.IndirectNonBreaking, false, upstream.Where(u => _kinds.TryGetValue(u, out ModelChangeKind k) && k != ModelChangeKind.Unchanged).ToList(), []);
            }

            JsonElement oldNode = await ModelSqlParser.ParseAsync(parser, model with { Sql = state.Sql }, new SqlText(model.FilePath, state.Sql), cancellationToken).ConfigureAwait(false);
            using JsonDocument newDocument = JsonDocument.Parse(graph.GetParse(model.Name));
            string oldParse = ModelSqlParser.Canonical(oldNode);
            bool sameSettings = ModelFingerprints.DefinitionHash(oldParse, model.Config, ModelFingerprints.UsedVariables(oldParse), options.Variables) == state.DefinitionHash;
            using JsonDocument oldDocument = JsonDocument.Parse(oldParse);
            ProjectionDiff projections = ProjectionDiff.Compare(oldDocument.RootElement, newDocument.RootElement, state.Columns.Select(c => c.Name));
            if (options.ForwardOnly || model.Config.ForwardOnly || KeepsHistory(model))
            {
                return Change(ModelChangeKind.ForwardOnly, false, [], projections.Changed);
            }

            return sameSettings && projections.OnlyAdded
                ? Change(ModelChangeKind.NonBreaking, true, [], projections.Changed)
                : Change(ModelChangeKind.Breaking, true, [], projections.Changed);
        }

        /// <summary>
        /// Whether rebuilding the model would lose rows no input holds any more: an <c>scd2</c> model keeps the versions of
        /// each row it saw over time, and a full refresh starts its history again from the current rows. Its changes are
        /// forward-only, as SQLMesh treats such models; a rebuild on purpose is <c>medallion run --full-refresh</c>.
        /// </summary>
        private static bool KeepsHistory(ModelDefinition model) => model.Config.Materialized == Materialization.Scd2;

        /// <summary>The model's output columns that read a changed column of <paramref name="causes"/> (all of them when none can be named).</summary>
        private List<string> ChangedThrough(TableName model, List<TableName> causes)
        {
            ModelAnalysis analysis = graph.GetAnalysis(model);
            return analysis.Columns.Where(c => c.Sources.Any(s => causes.Contains(s.Table))).Select(c => c.Name).ToList();
        }

        /// <summary>The columns downstream of <paramref name="model"/> whose lineage reaches its <paramref name="columns"/>, transitively.</summary>
        private List<string> Downstream(TableName model, IReadOnlyList<string> columns)
        {
            var found = new List<string>();
            var seen = new HashSet<(TableName, string)>();
            var pending = new Queue<(TableName Table, string Column)>(columns.Select(c => (model, c.ToLowerInvariant())));
            while (pending.TryDequeue(out (TableName Table, string Column) current))
            {
                foreach (TableName downstream in graph.GetDownstream(current.Table))
                {
                    foreach (OutputColumn output in graph.GetAnalysis(downstream).Columns)
                    {
                        if (output.Sources.Any(s => s.Table.Equals(current.Table) && string.Equals(s.Column, current.Column, StringComparison.OrdinalIgnoreCase))
                            && seen.Add((downstream, output.Name.ToLowerInvariant())))
                        {
                            found.Add($"{downstream}.{output.Name}");
                            pending.Enqueue((downstream, output.Name.ToLowerInvariant()));
                        }
                    }
                }
            }

            return found;
        }
    }
}
