namespace Medallion.Server.Scheduling;

/// <summary>Which intervals of its range a backfill runs.</summary>
public enum BackfillReprocess
{
    /// <summary>Intervals that never succeeded.</summary>
    Missing,
    /// <summary>Intervals whose latest run failed, was cancelled or was interrupted.</summary>
    Failed,
    /// <summary>Every interval.</summary>
    All,
}

/// <summary>One data interval of a backfill's range.</summary>
/// <param name="Start">The interval's start (inclusive).</param>
/// <param name="End">The interval's end (exclusive; the fire time of the run that covers it).</param>
/// <param name="LastStatus">How the interval's latest run ended, or null when it never ran.</param>
/// <param name="WillRun">Whether the backfill runs it, given its reprocess choice.</param>
public sealed record BackfillInterval(System.DateTimeOffset Start, System.DateTimeOffset End, Medallion.Catalog.RunStatus? LastStatus, bool WillRun);
