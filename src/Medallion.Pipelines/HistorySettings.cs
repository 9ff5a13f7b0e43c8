using System;

namespace Medallion.Pipelines;

/// <summary>
/// The <c>history:</c> section of <c>medallion.yml</c>: how long the catalog keeps finished runs (with their models,
/// attempts, logs and quality results) before the server's housekeeping pass or <c>medallion runs prune</c> removes them.
/// </summary>
/// <param name="Keep">Runs that started longer ago than this are pruned; null keeps every run (<c>history: {keep: forever}</c>).</param>
public sealed record HistorySettings(TimeSpan? Keep)
{
    /// <summary>The retention when the project sets none: 90 days, as Dagster's and Airflow's clean-up examples keep.</summary>
    public static TimeSpan DefaultKeep { get; } = TimeSpan.FromDays(90);

    /// <summary>The settings of a project without a <c>history:</c> section.</summary>
    public static HistorySettings Default { get; } = new(DefaultKeep);
}
