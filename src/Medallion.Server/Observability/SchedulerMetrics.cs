using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Prometheus;

namespace Medallion.Server.Observability;

/// <summary>
/// What one scheduler counts about its runs and their models, in its own registry (several schedulers in one process,
/// as in tests, never mix their counts). Labels: <c>job</c>, <c>model</c> (a table name), <c>table</c>, <c>source</c>.
/// </summary>
internal sealed class SchedulerMetrics
{
    // Runs take seconds to hours; models milliseconds to hours. Few buckets keep a scrape of 500 models small.
    private static readonly double[] s_runBuckets = [0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200];
    private static readonly double[] s_modelBuckets = [0.05, 0.25, 1, 5, 30, 120, 600, 3600];
    private static readonly double[] s_delayBuckets = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

    private readonly Counter _runsStarted;
    private readonly Counter _runsSucceeded;
    private readonly Counter _runsFailed;
    private readonly Counter _runsCancelled;
    private readonly Counter _runsRetried;
    private readonly Histogram _runDuration;
    private readonly Counter _modelsStarted;
    private readonly Counter _modelsSucceeded;
    private readonly Counter _modelsFailed;
    private readonly Counter _modelsRetried;
    private readonly Histogram _modelDuration;
    private readonly Counter _rowsWritten;
    private readonly Counter _sourceRows;
    private readonly Histogram _startDelay;
    private readonly Counter _missedSchedules;
    private readonly Gauge _queuedModels;
    private readonly Gauge _runningModels;
    // The steps of active runs that have not ended, by run and table: the queued and running models at a scrape.
    private readonly ConcurrentDictionary<(string Run, TableName Table), StepState> _steps = new();

    public SchedulerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        string[] job = ["job"];
        string[] model = ["job", "model"];
        _runsStarted = Factory.CreateCounter("medallion_runs_started_total", "Runs of a job that started executing.", job);
        _runsSucceeded = Factory.CreateCounter("medallion_runs_succeeded_total", "Runs of a job that succeeded.", job);
        _runsFailed = Factory.CreateCounter("medallion_runs_failed_total", "Runs of a job that failed after their retries.", job);
        _runsCancelled = Factory.CreateCounter("medallion_runs_cancelled_total", "Runs of a job that were cancelled or timed out before they started.", job);
        _runsRetried = Factory.CreateCounter("medallion_runs_retried_total", "Attempts of a job's runs after a transient failure.", job);
        _runDuration = Factory.CreateHistogram("medallion_run_duration_seconds", "From a run's start to its end, retries included, by final status.",
            ["job", "status"], new HistogramConfiguration { Buckets = s_runBuckets });
        _modelsStarted = Factory.CreateCounter("medallion_models_started_total", "Models (and source loads) a run started.", model);
        _modelsSucceeded = Factory.CreateCounter("medallion_models_succeeded_total", "Models (and source loads) that succeeded.", model);
        _modelsFailed = Factory.CreateCounter("medallion_models_failed_total", "Models (and source loads) that failed.", model);
        _modelsRetried = Factory.CreateCounter("medallion_models_retried_total", "Models (and source loads) started again by a retry of their run.", model);
        _modelDuration = Factory.CreateHistogram("medallion_model_duration_seconds", "How long a model (or source load) took, succeeded or failed.",
            model, new HistogramConfiguration { Buckets = s_modelBuckets });
        _rowsWritten = Factory.CreateCounter("medallion_table_rows_written_total", "Rows runs wrote to a table (appended, merged or overwritten).", ["table"]);
        _sourceRows = Factory.CreateCounter("medallion_source_rows_total", "Rows a source loaded into bronze.", ["source", "table"]);
        _startDelay = Factory.CreateHistogram("medallion_scheduler_start_delay_seconds",
            "From when a run was due (its fire time, or when it was queued) to when it started executing.", job, new HistogramConfiguration { Buckets = s_delayBuckets });
        _missedSchedules = Factory.CreateCounter("medallion_scheduler_missed_schedules_total",
            "Fire times that came due while no scheduler ran and that the job's catch-up policy skipped.", job);
        _queuedModels = Factory.CreateGauge("medallion_scheduler_queued_models", "Models of running runs that wait for their upstream or a free slot.");
        _runningModels = Factory.CreateGauge("medallion_scheduler_running_models", "Models (and source loads) executing now.");
        Registry.AddBeforeCollectCallback(() =>
        {
            int queued = 0, running = 0;
            foreach (StepState state in _steps.Values)
            {
                queued += state == StepState.Queued ? 1 : 0;
                running += state == StepState.Running ? 1 : 0;
            }

            _queuedModels.Set(queued);
            _runningModels.Set(running);
        });
    }

    /// <summary>The registry <c>/metrics</c> serves; the server adds its scrape-time metrics to it.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Creates metrics in <see cref="Registry"/>.</summary>
    public IMetricFactory Factory { get; }

    /// <summary>
    /// Makes the series of each job (and of each model a job selects) exist at zero before anything happens, so that
    /// <c>increase()</c> over a window sees a job's first run and a dashboard lists a job that never ran.
    /// </summary>
    public void Declare(IEnumerable<(string Job, IEnumerable<TableName> Models)> jobs)
    {
        foreach ((string job, IEnumerable<TableName> models) in jobs)
        {
            foreach (Counter counter in new[] { _runsStarted, _runsSucceeded, _runsFailed, _runsCancelled, _runsRetried, _missedSchedules })
            {
                counter.WithLabels(job);
            }

            foreach (TableName table in models)
            {
                string model = Label(table);
                foreach (Counter counter in new[] { _modelsStarted, _modelsSucceeded, _modelsFailed, _modelsRetried })
                {
                    counter.WithLabels(job, model);
                }
            }
        }
    }

    public void RunStarted(string job, TimeSpan delay)
    {
        _runsStarted.WithLabels(job).Inc();
        _startDelay.WithLabels(job).Observe(Math.Max(0, delay.TotalSeconds));
    }

    public void RunRetried(string job) => _runsRetried.WithLabels(job).Inc();

    public void RunEnded(string runId, string job, RunStatus status, TimeSpan duration)
    {
        // A run a stopping worker handed back (queued again) has not ended: another worker ends it.
        (status switch
        {
            RunStatus.Succeeded => _runsSucceeded,
            RunStatus.Cancelled => _runsCancelled,
            RunStatus.Queued => null,
            _ => _runsFailed,
        })?.WithLabels(job).Inc();
        _runDuration.WithLabels(job, status.ToString().ToLowerInvariant()).Observe(duration.TotalSeconds);
        foreach ((string Run, TableName Table) key in _steps.Keys.Where(k => k.Run == runId))
        {
            _steps.TryRemove(key, out _);
        }
    }

    public void MissedSchedules(string job, int count)
    {
        if (count > 0)
        {
            _missedSchedules.WithLabels(job).Inc(count);
        }
    }

    /// <summary>Counts one step event of a run's attempt; <paramref name="source"/> names the source a source step loads.</summary>
    public void Step(string runId, string job, int attempt, RunEvent e, string? source)
    {
        string model = Label(e.Table);
        switch (e.State)
        {
            case StepState.Queued:
                _steps[(runId, e.Table)] = StepState.Queued;
                break;
            case StepState.Running:
                _steps[(runId, e.Table)] = StepState.Running;
                _modelsStarted.WithLabels(job, model).Inc();
                if (attempt > 1)
                {
                    _modelsRetried.WithLabels(job, model).Inc();
                }

                break;
            case StepState.Succeeded or StepState.Failed:
                _steps.TryRemove((runId, e.Table), out _);
                (e.State == StepState.Succeeded ? _modelsSucceeded : _modelsFailed).WithLabels(job, model).Inc();
                if (e.Result is { } result)
                {
                    _modelDuration.WithLabels(job, model).Observe(result.Duration.TotalSeconds);
                    // A step that wrote nothing still makes its series exist, at zero.
                    long rows = Math.Max(0, result.RowsWritten ?? 0);
                    _rowsWritten.WithLabels(model).Inc(rows);
                    if (e.Kind == StepKind.Source && source is not null)
                    {
                        _sourceRows.WithLabels(source, model).Inc(rows);
                    }
                }

                break;
            default:
                _steps.TryRemove((runId, e.Table), out _);
                break;
        }
    }

    /// <summary>A table as a label: <c>namespace.name</c>, lower case.</summary>
    public static string Label(TableName table) => table.ToString().ToLowerInvariant();
}
