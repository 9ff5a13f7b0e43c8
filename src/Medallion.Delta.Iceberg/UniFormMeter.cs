using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace Medallion.Delta.Iceberg;

/// <summary>UniForm's measurements: Iceberg conversions written and failed, by outcome.</summary>
public static class UniFormMeter
{
    /// <summary>The meter's name, for listeners that pick it.</summary>
    public const string Name = "Medallion.UniForm";

    private static readonly Meter s_meter = new(Name);

    private static readonly Counter<long> s_conversions = s_meter.CreateCounter<long>(
        "medallion.uniform.conversions", "{conversion}",
        "Iceberg metadata conversions of Delta UniForm tables after a commit, by outcome: converted, or failed (the Delta commit stands and the next commit converts again).");

    /// <summary>Counts one conversion that wrote Iceberg metadata.</summary>
    public static void Converted() => s_conversions.Add(1, new KeyValuePair<string, object?>("outcome", "converted"));

    /// <summary>Counts one conversion that failed, leaving the Iceberg metadata behind the Delta log until the next.</summary>
    public static void Failed() => s_conversions.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
}
