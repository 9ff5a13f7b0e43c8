using System;

namespace Medallion.Platform.Audit;

/// <summary>How an <see cref="AuditLog"/> batches its writes and how long it waits when it falls behind.</summary>
public sealed record AuditOptions
{
    /// <summary>The most events waiting to be written; 100,000 by default (a few tens of MB at worst).</summary>
    public int QueueCapacity { get; init; } = 100_000;

    /// <summary>A batch is written as soon as it holds this many events; 5,000 by default.</summary>
    public int BatchSize { get; init; } = 5_000;

    /// <summary>A batch is written at the latest this long after its first event; 1 s by default.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long <see cref="AuditLog.RecordAsync"/> waits for room when the queue is full before it drops the event
    /// (counted in <c>medallion.audit.events.dropped</c> and logged); 5 s by default. The wait slows the caller (the
    /// query that is being audited) down to the pace the table is written at, and the bound keeps a broken lake from
    /// stopping every query.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The retention the server enforces (<c>audit: {retention}</c> in medallion.yml); null runs no upkeep at all
    /// (<see cref="AuditLog.MaintainAsync"/>: neither the retention nor the packing of small files).
    /// </summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>How often the upkeep pass runs while the log is open (when <see cref="Retention"/> is set), the first time at once; 6 h by default.</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(6);
}
