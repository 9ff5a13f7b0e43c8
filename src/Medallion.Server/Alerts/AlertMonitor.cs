using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Alerts;
using Medallion.Platform;
using Medallion.Platform.Observability;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Alerts;

/// <summary>
/// Evaluates the project's alert rules (after each run and every <see cref="Interval"/>), and tells the channels when
/// an alert starts firing, again at most every <c>repeat_interval</c> while it fires, and once when it clears. What
/// fires and when it was sent is kept in the catalog, so a restarted server neither repeats a message early nor
/// forgets to send the resolution.
/// </summary>
internal sealed class AlertMonitor : IAsyncDisposable
{
    private const string Warning = "warning";
    private const string Error = "error";

    private readonly JobScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _evaluating = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<string, AlertState>? _states;
    private (AlertSettings Settings, IReadOnlyDictionary<string, IAlertSender> Senders)? _senders;
    private TaskCompletionSource _nudge = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private readonly IPEndPoint? _sqlEndpoint;
    // Per probed target (rule:key): probes failed in a row, and when the first of them failed.
    private readonly Dictionary<string, (int Count, DateTimeOffset Since)> _failedProbes = new(StringComparer.Ordinal);

    /// <param name="scheduler">The server's scheduler: its project, catalog and run ends.</param>
    /// <param name="time">The clock.</param>
    /// <param name="log">Where evaluation failures go.</param>
    /// <param name="interval">How often the rules are evaluated besides after each run.</param>
    /// <param name="sqlEndpoint">The server's SQL endpoint, which <c>unreachable</c> rules probe; null when the server runs none.</param>
    public AlertMonitor(JobScheduler scheduler, TimeProvider time, ILogger log, TimeSpan interval, IPEndPoint? sqlEndpoint = null)
    {
        _scheduler = scheduler;
        _sqlEndpoint = sqlEndpoint;
        _time = time;
        _log = log;
        Interval = interval;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Dispatcher = new AlertDispatcher(time, log);
    }

    /// <summary>How often the rules are evaluated besides after each run.</summary>
    public TimeSpan Interval { get; }

    public AlertDispatcher Dispatcher { get; }

    /// <summary>Starts evaluating in the background.</summary>
    public void Start()
    {
        _scheduler.RunEnded += Nudge;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Asks for an evaluation now (a run ended).</summary>
    public void Nudge() => Volatile.Read(ref _nudge).TrySetResult();

    /// <summary>Evaluates every rule once and queues the messages that are due; returns the messages queued.</summary>
    public async Task<IReadOnlyList<AlertMessage>> EvaluateAsync(CancellationToken cancellationToken = default)
    {
        await _evaluating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProjectEnvironment environment = _scheduler.Environment;
            MedallionProject project = environment.Project;
            AlertSettings settings = project.Alerts;
            _states ??= (await _scheduler.Catalog.Quality.GetAlertStatesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Key, StringComparer.Ordinal);
            if (settings.Rules.Count == 0 && !_states.Values.Any(s => s.Firing))
            {
                return [];
            }

            if (_senders?.Settings != settings)
            {
                _senders = (settings, AlertDispatcher.Senders(settings.Channels, _http));
            }

            DateTimeOffset now = _time.GetUtcNow();
            Dictionary<string, Condition> conditions = await ConditionsAsync(environment, settings, now, cancellationToken).ConfigureAwait(false);
            var sent = new List<AlertMessage>();
            foreach (Condition condition in conditions.Values)
            {
                _states.TryGetValue(condition.Key, out AlertState? state);
                bool due = state is null || (!state.Firing && !condition.Event) || (state.Firing && (state.Severity != condition.Severity
                    || state.LastSentAt is not { } last || now - last >= condition.Rule.RepeatInterval));
                if (!due)
                {
                    continue;
                }

                AlertMessage message = Message(project, condition, AlertStatus.Firing, condition.Since);
                Send(settings, condition.Rule, message, sent);
                // An event (a schema change) is told once and never resolves.
                state = new AlertState(condition.Key, condition.Rule.Name, condition.Severity, condition.What, !condition.Event,
                    state is { Firing: true } ? state.Since : condition.Since, now, condition.Event ? now : null);
                await SaveAsync(state, cancellationToken).ConfigureAwait(false);
            }

            foreach (AlertState state in _states.Values.Where(s => s.Firing && !conditions.ContainsKey(s.Key)).ToList())
            {
                AlertRuleDefinition? rule = settings.Rules.FirstOrDefault(r => r.Name == state.Rule);
                var message = new AlertMessage(state.Key, state.Rule, AlertStatus.Resolved, state.Severity, state.Summary, Subject(state.Key), now,
                    $"Firing since {state.Since.UtcDateTime:yyyy-MM-dd HH:mm} UTC.", Link(project, LinkPath(state.Key)), project.Name);
                Send(settings, rule, message, sent);
                await SaveAsync(state with { Firing = false, ResolvedAt = now, LastSentAt = now }, cancellationToken).ConfigureAwait(false);
            }

            return sent;
        }
        finally
        {
            _evaluating.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _scheduler.RunEnded -= Nudge;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await Dispatcher.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        _stop.Dispose();
        _evaluating.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            // Reset before evaluating: a run that ends during the evaluation completes the new signal, so it is seen next.
            Interlocked.Exchange(ref _nudge, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                // Only the server that holds the scheduler lease sends alerts: one message per alert, not one per server.
                if (_scheduler.HoldsSchedulerLease)
                {
                    await EvaluateAsync(_stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A rule that cannot be evaluated now (a table mid-write, a locked catalog) is tried again next time.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _log.LogWarning("Alert rules could not be evaluated: {Error}", e.Message);
            }

            Task nudged = Volatile.Read(ref _nudge).Task;
            try
            {
                await Task.WhenAny(nudged, Task.Delay(Interval, _time, _stop.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Send(AlertSettings settings, AlertRuleDefinition? rule, AlertMessage message, List<AlertMessage> sent)
    {
        IEnumerable<string> names = rule is { Channels.Count: > 0 } ? rule.Channels : settings.Channels.Select(c => c.Name);
        foreach (string name in names)
        {
            if (_senders!.Value.Senders.TryGetValue(name, out IAlertSender? sender))
            {
                Dispatcher.Enqueue(sender, message);
            }
        }

        sent.Add(message);
    }

    private async Task SaveAsync(AlertState state, CancellationToken cancellationToken)
    {
        _states![state.Key] = state;
        await _scheduler.Catalog.Quality.SaveAlertStateAsync(state, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Dictionary<string, Condition>> ConditionsAsync(ProjectEnvironment environment, AlertSettings settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        MedallionProject project = environment.Project;
        var conditions = new Dictionary<string, Condition>(StringComparer.Ordinal);
        IReadOnlyList<TableObservation>? observations = null;
        async Task<IReadOnlyList<TableObservation>> ObserveAsync()
        {
            if (observations is null)
            {
                Lakehouse lakehouse = await Lakehouse.OpenAsync(environment, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (lakehouse.ConfigureAwait(false))
                {
                    observations = await lakehouse.ObserveAsync(null, now, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }

            return observations;
        }

        foreach (AlertRuleDefinition rule in settings.Rules)
        {
            switch (rule.When)
            {
                case AlertCondition.RunFailed:
                    foreach (JobDefinition job in project.Jobs.Where(j => rule.Jobs.Count == 0 || rule.Jobs.Contains(j.Name, StringComparer.OrdinalIgnoreCase)))
                    {
                        RunRecord? last = (await _scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = 20 }, cancellationToken).ConfigureAwait(false))
                            .Runs.FirstOrDefault(r => r.Status is RunStatus.Succeeded or RunStatus.Failed);
                        if (last is { Status: RunStatus.Failed })
                        {
                            Add(conditions, new Condition($"{rule.Name}:job:{job.Name}", rule, Error, $"job '{job.Name}' failed", last.FinishedAt ?? last.StartedAt, last.Error, $"runs/{last.Id}"));
                        }
                    }

                    break;
                case AlertCondition.QualityFailed:
                    foreach (ModelDefinition model in project.Models.Where(m => rule.Covers(m.Name)))
                    {
                        foreach (QualityResultRecord result in await _scheduler.Catalog.Quality.GetLatestQualityResultsAsync(model.Name, cancellationToken).ConfigureAwait(false))
                        {
                            if (result.Broken && Enum.TryParse(result.Severity, ignoreCase: true, out ExpectationSeverity severity) && severity >= rule.Severity)
                            {
                                Add(conditions, new Condition($"{rule.Name}:{model.Name}:{result.Rule}", rule, severity == ExpectationSeverity.Warn ? Warning : Error,
                                    $"quality rule '{result.Rule}' ({result.Severity}) broke on {model.Name}", result.CheckedAt,
                                    $"{result.FailingRows:N0} failing rows in run {result.RunId}.", $"tables/{model.Name}"));
                            }
                        }
                    }

                    break;
                case AlertCondition.Freshness:
                    foreach (TableObservation o in await ObserveAsync().ConfigureAwait(false))
                    {
                        if (!rule.Covers(o.Table) || !project.Freshness.TryGetValue(o.Table, out FreshnessPolicy? policy))
                        {
                            continue;
                        }

                        DateTimeOffset last = o.LastDataChange ?? o.LastCommit;
                        (string? level, TimeSpan? after) = policy.ErrorAfter is { } e && o.Age > e ? (Error, e)
                            : policy.WarnAfter is { } w && o.Age > w ? (Warning, w) : ((string?)null, (TimeSpan?)null);
                        if (level is not null)
                        {
                            Add(conditions, new Condition($"{rule.Name}:{o.Table}", rule, level, $"{o.Table} has not been loaded for {Format(o.Age)}", last + after!.Value,
                                $"Last load at {last.UtcDateTime:yyyy-MM-dd HH:mm} UTC; {(level == Error ? "error_after" : "warn_after")} is {Format(after.Value)}.", $"tables/{o.Table}"));
                        }
                    }

                    break;
                case AlertCondition.Anomaly:
                    foreach (TableObservation o in await ObserveAsync().ConfigureAwait(false))
                    {
                        long? lastLoad = o.Commits.LastOrDefault(c => c.ChangesData)?.Version;
                        foreach (Anomaly anomaly in o.Anomalies.Where(a => rule.Covers(o.Table) && (a.Pending || a.Version == lastLoad)))
                        {
                            Add(conditions, new Condition($"{rule.Name}:{o.Table}:{anomaly.Metric.ToString().ToLowerInvariant()}", rule, Warning,
                                $"{anomaly.Metric.ToString().ToLowerInvariant()} anomaly on {o.Table}", anomaly.Score.Point.Time, anomaly.Describe(), $"tables/{o.Table}"));
                        }
                    }

                    break;
                case AlertCondition.CdcLag:
                    foreach (SourceState state in await _scheduler.Catalog.Runs.GetSourceStatesAsync(cancellationToken).ConfigureAwait(false))
                    {
                        SourceRunRecord pass = state.Latest;
                        if (pass.Mode != "cdc" || !rule.Covers(pass.Target))
                        {
                            continue;
                        }

                        string where = $"{pass.Source}: {pass.SourceTable} into {pass.Target}";
                        if (pass.SlotLagBytes is long lag && lag > rule.MaxLagBytes)
                        {
                            Add(conditions, new Condition($"{rule.Name}:{pass.Target}:lag", rule, Error, $"the replication slot of {where} lags by {Bytes(lag)}", pass.RecordedAt,
                                $"Slot lag {lag:N0} bytes at the pass of {pass.RecordedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (max_lag {Bytes(rule.MaxLagBytes)}); the source server keeps that WAL until the stream catches up.", $"tables/{pass.Target}"));
                        }

                        DateTimeOffset positioned = state.PositionedAt ?? pass.RecordedAt;
                        if (now - positioned > rule.MaxPositionAge)
                        {
                            Add(conditions, new Condition($"{rule.Name}:{pass.Target}:age", rule, Error, $"{where} has committed no source position for {Format(now - positioned)}", positioned + rule.MaxPositionAge,
                                $"Last position {pass.Position ?? "none"} committed at {positioned.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (max_age {Format(rule.MaxPositionAge)}); is the stream's job running?", $"tables/{pass.Target}"));
                        }
                    }

                    break;
                case AlertCondition.Unreachable:
                    await ProbeAsync(project, rule, conditions, now, cancellationToken).ConfigureAwait(false);
                    break;
                case AlertCondition.SchemaChange:
                    foreach (TableObservation o in await ObserveAsync().ConfigureAwait(false))
                    {
                        // Only a change of the last day is news; older ones were told before, or predate the rule.
                        if (rule.Covers(o.Table) && o.SchemaChanges.Count > 0 && o.SchemaChanges[^1] is { } change && now - change.Timestamp < TimeSpan.FromDays(1))
                        {
                            Add(conditions, new Condition($"{rule.Name}:{o.Table}:v{change.Version}", rule, Warning, $"schema of {o.Table} changed at version {change.Version}",
                                change.Timestamp, change.Describe(), $"tables/{o.Table}") { Event = true });
                        }
                    }

                    break;
            }
        }

        return conditions;
    }

    /// <summary>Probes what an <c>unreachable</c> rule covers, all at once; a target fires after the rule's failed probes in a row.</summary>
    private async Task ProbeAsync(MedallionProject project, AlertRuleDefinition rule, Dictionary<string, Condition> conditions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<ProbeTarget> targets = [.. ReachabilityProbe.Targets(project, rule, _sqlEndpoint)];
        string?[] failures = await Task.WhenAll(targets.Select(t => ReachabilityProbe.ProbeAsync(t, cancellationToken))).ConfigureAwait(false);
        for (int i = 0; i < targets.Count; i++)
        {
            string key = $"{rule.Name}:{targets[i].Key}";
            if (failures[i] is not { } failure)
            {
                _failedProbes.Remove(key);
                continue;
            }

            (int count, DateTimeOffset since) = _failedProbes.TryGetValue(key, out var failed) ? (failed.Count + 1, failed.Since) : (1, now);
            _failedProbes[key] = (count, since);
            if (count >= rule.FailedProbes)
            {
                Add(conditions, new Condition(key, rule, Error, $"{targets[i].What} is unreachable", since,
                    $"{count} probe(s) in a row failed: {failure}.", targets[i].Key.StartsWith("source:", StringComparison.Ordinal) ? "sources" : ""));
            }
        }
    }

    private static void Add(Dictionary<string, Condition> conditions, Condition condition) => conditions.TryAdd(condition.Key, condition);

    private static AlertMessage Message(MedallionProject project, Condition condition, AlertStatus status, DateTimeOffset since) =>
        new(condition.Key, condition.Rule.Name, status, condition.Severity, condition.What, Subject(condition.Key), since, condition.Detail, Link(project, condition.Path), project.Name);

    /// <summary>
    /// What an alert is about, from its key: <c>rule:job:nightly</c> → <c>job nightly</c>, <c>rule:source:crm</c> →
    /// <c>source crm</c>, <c>rule:sql:endpoint</c> → <c>the SQL endpoint</c>, <c>rule:silver.orders:...</c> → <c>table silver.orders</c>.
    /// </summary>
    private static string Subject(string key)
    {
        string[] parts = key.Split(':');
        return parts.Length < 3 ? $"table {parts[^1]}" : parts[1] switch
        {
            "job" => $"job {parts[2]}",
            "source" => $"source {parts[2]}",
            "sql" => "the SQL endpoint",
            _ => $"table {parts[1]}",
        };
    }

    private static string LinkPath(string key)
    {
        string[] parts = key.Split(':');
        return parts.Length < 3 ? $"tables/{parts[^1]}" : parts[1] switch
        {
            "job" => $"jobs#job-{parts[2]}",
            "source" => "sources",
            "sql" => "",
            _ => $"tables/{parts[1]}",
        };
    }

    private static Uri? Link(MedallionProject project, string path) =>
        project.ServerUrl is { } server ? new Uri(new Uri(server.ToString().TrimEnd('/') + "/"), path) : null;

    private static string Bytes(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#} MiB" : $"{bytes:N0} bytes";

    private static string Format(TimeSpan span) => span.TotalHours >= 48 ? $"{span.TotalDays:0.#}d" : span.TotalMinutes >= 90 ? $"{span.TotalHours:0.#}h" : span.TotalSeconds >= 90 ? $"{span.TotalMinutes:0}m" : $"{span.TotalSeconds:0}s";

    private sealed record Condition(string Key, AlertRuleDefinition Rule, string Severity, string What, DateTimeOffset Since, string? Detail, string Path)
    {
        /// <summary>Told once, never repeated or resolved.</summary>
        public bool Event { get; init; }
    }
}
