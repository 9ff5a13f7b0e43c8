using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Server.Scheduling;
using Prometheus;

namespace Medallion.Server.Observability;

/// <summary>
/// Everything <c>/metrics</c> serves: the scheduler's counts, the lower layers' instruments (through
/// <see cref="MeterBridge"/>), each table's and each database source's state read from the catalog at scrape time, and
/// the process's runtime counters.
/// </summary>
/// <remarks>
/// Table and source states come from two catalog queries per scrape (each table's newest version row, each bronze
/// table's newest source pass), never from the Delta logs: that keeps a scrape of 1,000 tables within milliseconds and
/// sees commits made by any process (a CLI run too), not only this server's.
/// </remarks>
internal sealed class MetricsExporter : IDisposable
{
    private readonly JobScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly MeterBridge _bridge;
    private readonly LabelledGauges _tables;
    private readonly LabelledGauges _sources;
    private readonly Gauge _queuedRuns;
    private readonly Gauge _queueDepth;
    private readonly Gauge _runningRuns;
    private readonly Gauge _workersBusy;
    private readonly Gauge _workerSlots;
    private readonly Gauge _threadPoolThreads;
    private readonly Gauge _threadPoolQueue;
    private readonly Gauge _threadPoolCompleted;

    public MetricsExporter(JobScheduler scheduler, TimeProvider time)
    {
        _scheduler = scheduler;
        _time = time;
        IMetricFactory factory = scheduler.Metrics.Factory;
        CollectorRegistry registry = scheduler.Metrics.Registry;
        _bridge = new MeterBridge(factory);
        DotNetStats.Register(registry);
        _tables = new LabelledGauges(factory, ["table"],
            ("medallion_table_last_commit_age_seconds", "Seconds since the table's newest version was committed."),
            ("medallion_table_last_commit_timestamp_seconds", "When the table's newest version was committed, in seconds since the Unix epoch."),
            ("medallion_table_version", "The table's newest version."),
            ("medallion_table_rows", "Rows in the table at its newest version."),
            ("medallion_table_files", "Active data files of the table at its newest version."),
            ("medallion_table_size_bytes", "Bytes of the table's active data files at its newest version."));
        _sources = new LabelledGauges(factory, ["source", "table"],
            ("medallion_source_slot_lag_bytes", "CDC: how far the replication slot's confirmed position trails the server's WAL, after the newest pass."),
            ("medallion_source_position_age_seconds", "Seconds since a pass of the source last reached (and committed) a position."));
        _queuedRuns = factory.CreateGauge("medallion_scheduler_queued_runs", "Runs queued and not started (waiting for their job's or backfill's limit).");
        _runningRuns = factory.CreateGauge("medallion_scheduler_running_runs", "Runs executing now.");
        _workersBusy = factory.CreateGauge("medallion_workers_busy", "Runs this server executes now: with medallion_worker_slots, how busy the servers that execute runs are (summed over them, for an autoscaler).");
        _workerSlots = factory.CreateGauge("medallion_worker_slots", "How many runs this server executes at once at most (--concurrency); absent when it has no limit, 0 for a server that executes none.");
        _queueDepth = factory.CreateGauge("medallion_queue_depth", "Runs queued in the catalog and not started yet, whichever server queued them or will run them: the same on every server, for an autoscaler (KEDA, an HPA on an external metric).");
        _threadPoolThreads = factory.CreateGauge("dotnet_threadpool_threads", "Threads of the .NET thread pool.");
        _threadPoolQueue = factory.CreateGauge("dotnet_threadpool_queue_length", "Work items queued on the .NET thread pool and not started.");
        _threadPoolCompleted = factory.CreateGauge("dotnet_threadpool_completed_items", "Work items the .NET thread pool has completed since the process started.");
        registry.AddBeforeCollectCallback(CollectAsync);
    }

    /// <summary>The registry to serve.</summary>
    public CollectorRegistry Registry => _scheduler.Metrics.Registry;

    public void Dispose() => _bridge.Dispose();

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        List<TableState> tables = await _scheduler.Catalog.Tables.GetTableStatesAsync(cancellationToken).ConfigureAwait(false);
        _tables.Update(tables, t => [SchedulerMetrics.Label(t.Table)], t =>
        [
            Math.Max(0, (now - t.CommittedAt).TotalSeconds),
            t.CommittedAt.ToUnixTimeMilliseconds() / 1000.0,
            t.Version,
            t.RowCount,
            t.FileCount,
            t.SizeBytes,
        ]);
        List<SourceState> sources = await _scheduler.Catalog.Runs.GetSourceStatesAsync(cancellationToken).ConfigureAwait(false);
        _sources.Update(sources, s => [s.Latest.Source, s.Latest.SourceTable], s =>
        [
            s.Latest.SlotLagBytes,
            s.PositionedAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : null,
        ]);
        Dictionary<(string Job, RunStatus Status), int> open = await _scheduler.Catalog.Runs.CountOpenRunsAsync(cancellationToken).ConfigureAwait(false);
        _queueDepth.Set(open.Where(o => o.Key.Status == RunStatus.Queued).Sum(o => o.Value));
        (int queued, int running) = _scheduler.RunCounts;
        _queuedRuns.Set(queued);
        _runningRuns.Set(running);
        _workersBusy.Set(running);
        if (_scheduler.Options.Concurrency != int.MaxValue)
        {
            _workerSlots.Set(_scheduler.Options.Concurrency);
        }
        _threadPoolThreads.Set(ThreadPool.ThreadCount);
        _threadPoolQueue.Set(ThreadPool.PendingWorkItemCount);
        _threadPoolCompleted.Set(ThreadPool.CompletedWorkItemCount);
    }

    /// <summary>Gauges that share one label set, set at each scrape; a label set gone since the last scrape is removed.</summary>
    private sealed class LabelledGauges(IMetricFactory factory, string[] labelNames, params (string Name, string Help)[] gauges)
    {
        private readonly Gauge[] _gauges = Array.ConvertAll(gauges, g => factory.CreateGauge(g.Name, g.Help, labelNames));
        private HashSet<string> _published = [];
        private readonly Dictionary<string, string[]> _labels = new(StringComparer.Ordinal);

        public void Update<T>(List<T> items, Func<T, string[]> labelsOf, Func<T, double?[]> valuesOf)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (T item in items)
            {
                string[] labels = labelsOf(item);
                string key = string.Join('\u0001', labels);
                if (!seen.Add(key))
                {
                    continue;
                }

                _labels[key] = labels;
                double?[] values = valuesOf(item);
                for (int i = 0; i < _gauges.Length; i++)
                {
                    if (values[i] is double value)
                    {
                        _gauges[i].WithLabels(labels).Set(value);
                    }
                    else
                    {
                        _gauges[i].RemoveLabelled(labels);
                    }
                }
            }

            foreach (string gone in _published)
            {
                if (!seen.Contains(gone) && _labels.Remove(gone, out string[]? labels))
                {
                    foreach (Gauge gauge in _gauges)
                    {
                        gauge.RemoveLabelled(labels);
                    }
                }
            }

            _published = seen;
        }
    }
}
