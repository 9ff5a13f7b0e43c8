using System;

namespace Medallion.Pipelines.Running;

/// <summary>What <see cref="ProjectRunner.RunAsync"/> runs and how.</summary>
public sealed record RunOptions
{
    /// <summary>A <c>--select</c> expression (see <see cref="ModelGraph.Select"/>); null runs every model.</summary>
    public string? Select { get; init; }

    /// <summary>Rebuild every selected model from all of its upstream data, ignoring what earlier runs consumed.</summary>
    public bool FullRefresh { get; init; }

    /// <summary>How many steps run at once (default: the processor count).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The clock for run timestamps and SCD2 validity; the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>
    /// CDC sources: the micro-batch interval (a pass commits at least this often and ends after about this long, so
    /// the models downstream run); null drains the changes available now (what a single run does).
    /// </summary>
    public TimeSpan? ChangeInterval { get; init; }

    /// <summary>
    /// A model whose upstream steps in this run all committed nothing, and whose last run succeeded, is not built
    /// again (it is reported succeeded, "nothing new upstream"): what keeps the passes of a continuous run cheap.
    /// </summary>
    public bool SkipIdleModels { get; init; }

    /// <summary>
    /// A run that succeeded without committing anything leaves no record in the catalog (run, model and source runs,
    /// quality results): what keeps the history of a continuous run to the passes that changed a table or failed.
    /// </summary>
    public bool ForgetIdleRun { get; init; }

    /// <summary>Receives each step's state changes as they happen (called from worker threads, one call at a time).</summary>
    public IProgress<RunEvent>? Progress { get; init; }
}
