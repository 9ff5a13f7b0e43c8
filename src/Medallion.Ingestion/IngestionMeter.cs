using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace Medallion.Ingestion;

/// <summary>
/// Ingestion's own measurements, as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <see cref="Name"/>:
/// the server exports them without this layer knowing how. The label is the source's name, never a value.
/// </summary>
public static class IngestionMeter
{
    /// <summary>The meter's name, for listeners that pick it.</summary>
    public const string Name = "Medallion.Ingestion";

    private static readonly Meter s_meter = new(Name);

    private static readonly Histogram<double> s_commitToBronze = s_meter.CreateHistogram(
        "medallion.source.commit_to_bronze", "s",
        "From a change's commit in the source database to its commit in bronze (change streams).",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600] });

    internal static void RecordCommitToBronze(string source, TimeSpan latency) =>
        s_commitToBronze.Record(Math.Max(0, latency.TotalSeconds), new KeyValuePair<string, object?>("source", source));
}
