using System.Diagnostics.Metrics;

namespace Medallion.Platform.Audit;

/// <summary>The audit's measurements: events recorded, written, and dropped because the queue stayed full.</summary>
public static class AuditMeter
{
    /// <summary>The meter's name, for listeners that pick it.</summary>
    public const string Name = "Medallion.Audit";

    private static readonly Meter s_meter = new(Name);

    private static readonly Counter<long> s_recorded = s_meter.CreateCounter<long>(
        "medallion.audit.events.recorded", "{event}", "Audit events accepted into the queue.");

    private static readonly Counter<long> s_written = s_meter.CreateCounter<long>(
        "medallion.audit.events.written", "{event}", "Audit events committed to medallion_audit.events.");

    private static readonly Counter<long> s_dropped = s_meter.CreateCounter<long>(
        "medallion.audit.events.dropped", "{event}", "Audit events lost: the queue stayed full past the wait bound, or the table could not be written at shutdown.");

    internal static void Recorded() => s_recorded.Add(1);

    internal static void Written(long count) => s_written.Add(count);

    internal static void Dropped(long count) => s_dropped.Add(count);
}
