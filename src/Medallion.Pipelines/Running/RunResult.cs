using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>What a step of a run is: loading a source into its bronze table, or building a model.</summary>
public enum StepKind
{
    /// <summary>A file source, or one table of a database source, loaded into its bronze table.</summary>
    Source,
    /// <summary>A SQL model written to its table.</summary>
    Model,
}

/// <summary>Where a step is in a run.</summary>
public enum StepState
{
    /// <summary>Waiting for what it reads.</summary>
    Queued,
    /// <summary>Running now.</summary>
    Running,
    /// <summary>Finished; its commit (if any) is in place.</summary>
    Succeeded,
    /// <summary>Failed; its table is exactly as it was before the run.</summary>
    Failed,
    /// <summary>Not run because something it reads failed.</summary>
    Skipped,
    /// <summary>Stopped, or never started, because the run was cancelled; its table is unchanged.</summary>
    Cancelled,
}

/// <summary>How a model read its upstream tables.</summary>
public enum RunMode
{
    /// <summary>Everything upstream, at its current version.</summary>
    Full,
    /// <summary>Only the rows upstream tables gained (or changed, through the change data feed) since the model's last successful run.</summary>
    Incremental,
}

/// <summary>The outcome of one step.</summary>
/// <param name="Table">The table the step writes.</param>
/// <param name="Kind">Source or model.</param>
/// <param name="State">How it ended.</param>
/// <param name="Mode">How a model read its upstream (sources: <see cref="RunMode.Incremental"/> when they load only new files).</param>
/// <param name="RowsWritten">Rows inserted, updated or deleted in the table (sources: rows loaded); null when it did not run.</param>
/// <param name="CommittedVersion">The table version the step committed; null when it committed nothing.</param>
/// <param name="UpstreamVersions">The version of each upstream table the model read (<c>namespace.name</c> in lower case).</param>
/// <param name="Duration">How long the step ran.</param>
/// <param name="Error">Why it failed or was skipped; a failure's error names the step's table (it is read on its own, as the run's error).</param>
/// <param name="Notes">What the user should know: a fallback to a full recompute and why, quarantined rows, warnings.</param>
public sealed record StepResult(
    TableName Table,
    StepKind Kind,
    StepState State,
    RunMode Mode,
    long? RowsWritten,
    long? CommittedVersion,
    IReadOnlyDictionary<string, long> UpstreamVersions,
    TimeSpan Duration,
    string? Error,
    IReadOnlyList<string> Notes)
{
    /// <summary>The code of the error that failed the step; null when it did not fail or the failure had no Medallion code.</summary>
    public ErrorCode? ErrorCode { get; init; }

    /// <summary>True when the failure is transient (a source that cannot be reached, a commit conflict, a lost connection): running again may succeed.</summary>
    public bool IsTransient { get; init; }

    /// <summary>
    /// The catalog record of the step's commit, not yet written: the run's loop writes it with the step's outcome in one
    /// catalog write, after the step left its step slot, so the slot is held for engine work only.
    /// </summary>
    internal CommitRecord? Commit { get; init; }
}

/// <summary>The outcome of a run.</summary>
/// <param name="RunId">The run's id in the catalog.</param>
/// <param name="Status">Succeeded when every step succeeded; Cancelled when the user stopped it; else Failed.</param>
/// <param name="Steps">Every step, sources first, then models in dependency order.</param>
/// <param name="Duration">Wall time of the whole run.</param>
public sealed record RunResult(string RunId, RunStatus Status, IReadOnlyList<StepResult> Steps, TimeSpan Duration)
{
    /// <summary>True when every step succeeded.</summary>
    public bool Succeeded => Status == RunStatus.Succeeded;

    /// <summary>The step that wrote <paramref name="table"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step of the run wrote that table.</exception>
    public StepResult this[TableName table] => Steps.FirstOrDefault(s => s.Table.Equals(table)) ?? throw new KeyNotFoundException($"The run has no step for {table}.");

    /// <summary>
    /// The run's error: the first failed step's, which names the step (<see cref="StepResult.Error"/>); null when no step failed.
    /// </summary>
    public string? Error => Steps.FirstOrDefault(s => s.State == StepState.Failed)?.Error;

    /// <summary>The process exit code for this outcome: 0 succeeded, 1 failed, 130 cancelled.</summary>
    public int ExitCode => Status switch
    {
        RunStatus.Succeeded => 0,
        RunStatus.Cancelled => 130,
        _ => 1,
    };
}

/// <summary>A step changed state (for live progress).</summary>
/// <param name="Table">The step's table.</param>
/// <param name="Kind">Source or model.</param>
/// <param name="State">The new state.</param>
/// <param name="Result">The outcome, once the step has ended (Succeeded, Failed, Skipped, Cancelled).</param>
public sealed record RunEvent(TableName Table, StepKind Kind, StepState State, StepResult? Result);
