using System;

namespace Medallion.Pipelines;

/// <summary>
/// The <c>maintenance:</c> section of <c>medallion.yml</c>: how often the server's housekeeping pass runs (row retention,
/// run history, table upkeep) and whether it keeps the project's Delta tables tidy the way Databricks' predictive
/// optimization does: a checkpoint when one is due, expired log files removed after <c>delta.logRetentionDuration</c>,
/// and unreferenced data files vacuumed after <c>delta.deletedFileRetentionDuration</c>; and how long a physical table of
/// a model version stays after no environment points at it, before the janitor removes it.
/// </summary>
/// <param name="Tables">False (<c>tables: off</c>) leaves the tables to <c>medallion delta vacuum</c> and <c>checkpoint</c> by hand.</param>
/// <param name="Every">The time between two housekeeping passes of the server.</param>
/// <param name="LogRetention">The log retention of tables that set no <c>delta.logRetentionDuration</c>; null for Delta's 30 days.</param>
/// <param name="DeletedFileRetention">The file retention of tables that set no <c>delta.deletedFileRetentionDuration</c>; null for Delta's 7 days.</param>
public sealed record MaintenanceSettings(bool Tables, TimeSpan Every, TimeSpan? LogRetention = null, TimeSpan? DeletedFileRetention = null)
{
    /// <summary>The time between passes when the project sets none: an hour.</summary>
    public static TimeSpan DefaultEvery { get; } = TimeSpan.FromHours(1);

    /// <summary>The janitor's retention when the project sets none: a week.</summary>
    public static TimeSpan DefaultJanitorRetention { get; } = TimeSpan.FromDays(7);

    /// <summary>
    /// <c>janitor_retention</c>: how long a physical table under <c>_versions/</c> stays after it lost its last pointer
    /// (a dropped environment's, a promotion's older set) before the janitor removes it; its shallow clones' reads of other
    /// tables' files are kept as long. A week when absent.
    /// </summary>
    public TimeSpan JanitorRetention { get; init; } = DefaultJanitorRetention;

    /// <summary>The settings of a project without a <c>maintenance:</c> section: tables maintained, every hour, Delta's retentions.</summary>
    public static MaintenanceSettings Default { get; } = new(true, DefaultEvery);
}
