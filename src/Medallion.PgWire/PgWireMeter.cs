using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace Medallion.PgWire;

/// <summary>
/// The SQL endpoint's own measurements, as <see cref="System.Diagnostics.Metrics"/> instruments of the meter
/// <see cref="Name"/>: a host exports them (the server to Prometheus) without this layer knowing how. The only label is
/// a query's outcome (<c>ok</c>, <c>error</c>, <c>cancelled</c>); never a user, a statement or a value.
/// </summary>
public static class PgWireMeter
{
    /// <summary>The meter's name, for listeners that pick it.</summary>
    public const string Name = "Medallion.PgWire";

    private static readonly Meter s_meter = new(Name);

    private static readonly UpDownCounter<long> s_connections = s_meter.CreateUpDownCounter<long>(
        "medallion.sql.connections", "{connection}", "Open connections to the SQL endpoint.");

    private static readonly Counter<long> s_queries = s_meter.CreateCounter<long>(
        "medallion.sql.queries", "{query}", "Statements the SQL endpoint executed, by outcome.");

    private static readonly Histogram<double> s_queryDuration = s_meter.CreateHistogram(
        "medallion.sql.query.duration", "s", "How long the SQL endpoint took to execute a statement and send its rows, by outcome.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static readonly Counter<long> s_sent = s_meter.CreateCounter<long>(
        "medallion.sql.sent", "By", "Bytes the SQL endpoint sent to its clients.");

    internal static void ConnectionOpened() => s_connections.Add(1);

    internal static void ConnectionClosed() => s_connections.Add(-1);

    internal static void RecordQuery(string outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        s_queries.Add(1, tag);
        s_queryDuration.Record(duration.TotalSeconds, tag);
    }

    internal static void RecordSent(int bytes) => s_sent.Add(bytes);
}
