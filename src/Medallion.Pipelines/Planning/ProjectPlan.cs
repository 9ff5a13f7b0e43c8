using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines.Planning;

/// <summary>How a model differs from what an environment last built of it.</summary>
public enum ModelChangeKind
{
    /// <summary>Nothing that decides its data or documents it changed.</summary>
    Unchanged,
    /// <summary>The project has the model and the environment never built it: it is built.</summary>
    Added,
    /// <summary>The environment built the model and the project no longer has it: forgotten by the environment (its table is kept).</summary>
    Removed,
    /// <summary>Its definition changed in a way its readers may notice: it and everything downstream rebuild.</summary>
    Breaking,
    /// <summary>Only new output columns (every old one kept, computed as before): only it rebuilds.</summary>
    NonBreaking,
    /// <summary>Its definition changed and applies to new data only (<c>forward_only</c>): nothing rebuilds.</summary>
    ForwardOnly,
    /// <summary>Only its docs, tags, owner or expectations changed: nothing rebuilds.</summary>
    MetadataOnly,
    /// <summary>Unchanged itself, but downstream of a breaking change (or of a changed source): it rebuilds.</summary>
    Indirect,
    /// <summary>Unchanged itself, downstream only of non-breaking or forward-only changes: nothing rebuilds.</summary>
    IndirectNonBreaking,
}

/// <summary>One model's line of a plan.</summary>
/// <param name="Model">The model.</param>
/// <param name="Kind">How it changed.</param>
/// <param name="Rebuild">Whether applying the plan rebuilds it.</param>
/// <param name="Causes">For an indirect change (or a forward-only one of an scd2 model downstream of a breaking change): the changed models upstream of it that cause it, nearest first.</param>
/// <param name="ChangedColumns">Its output columns the change touches (added, removed or computed differently); empty when unknown or none.</param>
/// <param name="AffectedColumns">The columns downstream whose column lineage reaches <paramref name="ChangedColumns"/>, as <c>namespace.table.column</c>.</param>
/// <param name="SqlDiff">The SQL's diff from what the environment built (lines prefixed <c>-</c>, <c>+</c> or a space); null when the SQL text is the same.</param>
/// <param name="OldFingerprint">The fingerprint the environment holds; null when added.</param>
/// <param name="NewFingerprint">The fingerprint of the project's files; null when removed.</param>
public sealed record ModelChange(
    TableName Model,
    ModelChangeKind Kind,
    bool Rebuild,
    IReadOnlyList<TableName> Causes,
    IReadOnlyList<string> ChangedColumns,
    IReadOnlyList<string> AffectedColumns,
    string? SqlDiff,
    string? OldFingerprint,
    string? NewFingerprint);

/// <summary>What applying the project's files to an environment would do, model by model.</summary>
/// <param name="Environment">The environment planned against.</param>
/// <param name="ForwardOnly">Whether every change applies to new data only (<c>--forward-only</c>).</param>
/// <param name="Changes">Every model that is not <see cref="ModelChangeKind.Unchanged"/>, in dependency order (removed models last).</param>
/// <param name="UnchangedCount">How many models are unchanged.</param>
/// <param name="Elapsed">How long planning took.</param>
public sealed record ProjectPlan(string Environment, bool ForwardOnly, IReadOnlyList<ModelChange> Changes, int UnchangedCount, TimeSpan Elapsed)
{
    /// <summary>True when applying the plan would do nothing.</summary>
    public bool IsEmpty => Changes.Count == 0;

    /// <summary>The models applying the plan rebuilds, in dependency order.</summary>
    public IReadOnlyList<TableName> Rebuilds => Changes.Where(c => c.Rebuild).Select(c => c.Model).ToList();
}

/// <summary>What <see cref="ProjectPlanner.PlanAsync"/> plans against.</summary>
public sealed record PlanOptions
{
    /// <summary>The environment (<see cref="ProjectPlanner.ProductionEnvironment"/> by default; any other name is a set of pointers of its own, starting as prod's).</summary>
    public string Environment { get; init; } = ProjectPlanner.ProductionEnvironment;

    /// <summary>Treat every change as forward-only: it applies to new data, nothing is rebuilt (<c>--forward-only</c>).</summary>
    public bool ForwardOnly { get; init; }

    /// <summary>The variables the models' SQL reads, as a run would set them (<see cref="Running.RunOptions.Variables"/>).</summary>
    public IReadOnlyDictionary<string, object?> Variables { get; init; } = new Dictionary<string, object?>();
}

/// <summary>What <see cref="ProjectPlanner.ApplyAsync"/> does besides planning.</summary>
public sealed record ApplyOptions
{
    /// <summary>What to plan against.</summary>
    public PlanOptions Plan { get; init; } = new();

    /// <summary>Refuse at once (<see cref="ErrorCode.PlanApplyInProgress"/>) rather than wait when another apply to the environment is under way.</summary>
    public bool NoWait { get; init; }

    /// <summary>How many models rebuild at once.</summary>
    public int Threads { get; init; } = System.Environment.ProcessorCount;

    /// <summary>How long the apply lock lives unless renewed (its holder renews it at a third of this); a killed apply's lock lapses after it.</summary>
    public TimeSpan LockTimeToLive { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a waiting apply asks for the lock again.</summary>
    public TimeSpan WaitInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Receives each rebuilt model's state changes.</summary>
    public IProgress<Running.RunEvent>? Progress { get; init; }
}

/// <summary>What an apply did.</summary>
/// <param name="Plan">The plan it applied, made while it held the environment's apply lock.</param>
/// <param name="Run">The run that rebuilt the plan's models; null when nothing needed a rebuild.</param>
/// <param name="Recorded">The models whose new state was recorded without a rebuild (metadata-only, forward-only, indirect non-breaking).</param>
/// <param name="Forgotten">The removed models the environment no longer holds.</param>
public sealed record ApplyResult(ProjectPlan Plan, Running.RunResult? Run, IReadOnlyList<TableName> Recorded, IReadOnlyList<TableName> Forgotten)
{
    /// <summary>True when the rebuild (if any) succeeded.</summary>
    public bool Succeeded => Run is null || Run.Status == RunStatus.Succeeded;

    /// <summary>Models the plan rebuilds that were not built: a physical table with their new fingerprint existed (another environment built it), and the environment now points at it.</summary>
    public IReadOnlyList<TableName> Reused { get; init; } = [];

    /// <summary>Models with a forward-only change that the environment now reads from a zero-copy shallow clone of prod's table (never in prod itself).</summary>
    public IReadOnlyList<TableName> Cloned { get; init; } = [];

    /// <summary>What the apply could not do as asked, one sentence each (a forward-only change whose table could not be cloned).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
