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
