using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using Prometheus;

namespace Medallion.Server.Observability;

/// <summary>
/// Exports the lower layers' <see cref="System.Diagnostics.Metrics"/> instruments (the meters named in
/// <see cref="MeterNames"/>) as Prometheus metrics of one registry, so that those layers need no Prometheus package.
/// </summary>
/// <remarks>
/// prometheus-net's own <c>MeterAdapter</c> is not used: it exports every .NET counter as a Prometheus gauge (so a
/// <c>_total</c> series would be typed gauge and <c>rate()</c> warns), prefixes the meter's name, and drops series
/// that did not change for a while, which makes a quiet counter vanish from Prometheus. This bridge keeps counters
/// counters, names a metric after its instrument the way the OpenTelemetry-to-Prometheus rules do (dots to
/// underscores, <c>_seconds</c> for unit <c>s</c>, <c>_bytes</c> for <c>By</c>, <c>_total</c> for counters), takes
/// histogram buckets from the instrument's advice, and never forgets a series.
/// </remarks>
internal sealed class MeterBridge : IDisposable
{
    /// <summary>The meters exported.</summary>
    public static readonly IReadOnlySet<string> MeterNames = new HashSet<string>(StringComparer.Ordinal)
    {
        Pipelines.Running.PipelineMeter.Name, Ingestion.IngestionMeter.Name, PgWire.PgWireMeter.Name, Platform.Audit.AuditMeter.Name,
        Delta.Iceberg.UniFormMeter.Name,
    };

    private static readonly double[] s_defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly IMetricFactory _factory;
    private readonly MeterListener _listener = new();
    // One exported metric per instrument, created at its first measurement (when its label names are known).
    private readonly ConcurrentDictionary<Instrument, Exported> _exported = new();

    public MeterBridge(IMetricFactory factory)
    {
        _factory = factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (MeterNames.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The Prometheus name of an instrument.</summary>
    public static string PrometheusName(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        string name = instrument.Name.Replace('.', '_');
        string? unit = instrument.Unit switch
        {
            "s" => "seconds",
            "By" => "bytes",
            _ => null,
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return IsCounter(instrument) ? name + "_total" : name;
    }

    public void Dispose() => _listener.Dispose();

    private static bool IsCounter(Instrument instrument) =>
        instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double>;

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Exported exported = _exported.GetOrAdd(instrument, static (i, state) => state.Bridge.Create(i, state.Keys), (Bridge: this, Keys: Keys(tags)));
        string[] values = new string[exported.LabelNames.Length];
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            int at = Array.IndexOf(exported.LabelNames, tag.Key);
            if (at >= 0)
            {
                values[at] = tag.Value?.ToString() ?? "";
            }
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] ??= "";
        }

        switch (exported.Metric)
        {
            case Counter counter:
                counter.WithLabels(values).Inc(value);
                break;
            case Gauge gauge:
                gauge.WithLabels(values).Inc(value);
                break;
            case Histogram histogram:
                histogram.WithLabels(values).Observe(value);
                break;
        }
    }

    private static string[] Keys(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var keys = new string[tags.Length];
        for (int i = 0; i < tags.Length; i++)
        {
            keys[i] = tags[i].Key;
        }

        Array.Sort(keys, StringComparer.Ordinal);
        return keys;
    }

    private Exported Create(Instrument instrument, string[] labelNames)
    {
        string name = PrometheusName(instrument);
        string help = instrument.Description ?? instrument.Name;
        Collector metric = instrument switch
        {
            _ when IsCounter(instrument) => _factory.CreateCounter(name, help, labelNames),
            Histogram<double> histogram => _factory.CreateHistogram(name, help, labelNames, new HistogramConfiguration
            {
                Buckets = histogram.Advice?.HistogramBucketBoundaries?.ToArray() ?? s_defaultBuckets,
            }),
            _ => _factory.CreateGauge(name, help, labelNames),
        };
        return new Exported(metric, labelNames);
    }

    private sealed record Exported(Collector Metric, string[] LabelNames);
}
