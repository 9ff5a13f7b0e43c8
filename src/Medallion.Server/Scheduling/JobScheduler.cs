using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Server.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Runs a project's jobs by themselves: plans runs from schedules (with catch-up after downtime), new table versions
/// (<c>on_new_data</c>) and finished upstream jobs (<c>after:</c>); starts them within each job's
/// <c>max_active_runs</c> and a global limit of concurrent steps; retries transient failures with backoff; and records
/// everything in the catalog. The methods the REST API calls (trigger, cancel, pause, rerun, backfill) live here too.
/// </summary>
/// <remarks>
/// <para>Guarantees: one scheduler per catalog (a lease, renewed by heartbeats that never touch running models; a
/// second scheduler waits on standby while the holder lives, and takes over when its lease lapses or at once when the
/// holder is a dead process of this host), or, on a PostgreSQL catalog, several planning beside each other
/// (<see cref="SchedulerOptions.PlansBesideOthers"/>: each keeps its own heartbeat, and the runs of one gone silent are
/// taken back by another). A fire time is planned once, across restarts and schedulers. Runs a dead
/// scheduler left running are marked interrupted, and retried when their job has retries left; runs it left queued are
/// adopted. Two runs never write one table at once: the second waits. A cancelled or timed-out model commits nothing.</para>
/// <para>Stopping (<see cref="StopAsync"/>) stops planning, lets running runs finish within a grace period, then
/// cancels the rest and records their final state; queued runs stay queued for the next scheduler.</para>
/// </remarks>
public sealed partial class JobScheduler : IAsyncDisposable
{
    private readonly CatalogStore _catalog;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Guards the scheduler's state below; held only across short catalog writes, never across a run.
    private readonly SemaphoreSlim _state = new(1, 1);
    // Replaced whole by a reload; a run keeps the definitions it started with.
    private Definitions _definitions;
    private readonly Dictionary<string, DateTimeOffset> _lastFire = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobState> _jobStates = new(StringComparer.Ordinal);
    private readonly Dictionary<TableName, (DeltaTable Table, Snapshot? Snapshot)> _watched = [];
    // The error last logged for each watched table that could not be read.
    private readonly Dictionary<TableName, string> _unreadable = [];
    private readonly Dictionary<string, Supervised> _continuous = new(StringComparer.Ordinal);
    // Continuous runs told to stop (job paused, removed, changed) that may not have ended yet.
    private readonly List<Task> _stopping = [];
    // Cancelled when the lease is lost: every stream stops on it too (see LoseLeaseAsync).
    private readonly CancellationTokenSource _streamsLeaseLost = new();
    private readonly Dictionary<string, IReadOnlySet<string>> _pendingFiles = new(StringComparer.Ordinal);
    // Lists the files of watched file sources (DuckDB's glob); opened on first use, used only by the planning pass.
    private DuckDbConnection? _filesConnection;
    private readonly Dictionary<string, BackfillRecord> _backfills = new(StringComparer.Ordinal);
    // The cancels other servers asked (see TakeRequestsAsync) already carried out, while their runs have not ended.
    private readonly HashSet<string> _cancelsTaken = new(StringComparer.Ordinal);
    private readonly AdmissionQueue _queue = new();
    // The runs this scheduler admitted for workers, as last read, until they end (JobScheduler.Workers.cs).
    private readonly Dictionary<string, RunRecord> _admitted = new(StringComparer.Ordinal);
    private readonly RunExecutor _executor;
    private readonly CancellationTokenSource _stopPlanning = new();
    private TaskCompletionSource _wake = NewSignal();
    private Task _loop = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private bool _stopped;

    private JobScheduler(ProjectEnvironment environment, ModelGraph graph, CatalogStore catalog, SchedulerOptions options, LeaseHolder holder)
    {
        _catalog = catalog;
        _options = options;
        _time = environment.Time;
        _logger = environment.Logs.CreateLogger("Medallion.Server.Scheduler");
        Holder = holder;
        _executor = new RunExecutor(environment, catalog, options, Metrics, OnRunEndedAsync,
            new RunHolding(holder.Id, RenewsOwnPresence ? WorkerFenceAsync : FenceAsync));
        _definitions = new Definitions(environment, graph);
        DeclareMetrics();
    }

    private void DeclareMetrics()
    {
        Definitions definitions = _definitions;
        Metrics.Declare(definitions.Jobs.Values.Select(job => (job.Name,
            job.Select is null ? Enumerable.Empty<TableName>() : definitions.Graph.Select(job.Select).Concat(
                definitions.SourceTargets.Where(s => job.Sources.Contains(s.Value, StringComparer.OrdinalIgnoreCase)).Select(s => s.Key)))));
    }

    /// <summary>What this scheduler counts about its runs; <c>/metrics</c> serves its registry.</summary>
    internal Observability.SchedulerMetrics Metrics { get; } = new();

    /// <summary>Runs queued and runs executing, read without the state lock (for metrics: a count a moment old is fine).</summary>
    internal (int Queued, int Running) RunCounts => (_queue.Count, _executor.Count);

    /// <summary>Completes when the scheduler next writes a log line of any run.</summary>
    internal Task LogWritten => _executor.LogWritten;

    /// <summary>Who this scheduler is in the catalog's lease.</summary>
    public LeaseHolder Holder { get; }

    /// <summary>The catalog the scheduler records runs in (for the API's history queries).</summary>
    public CatalogStore Catalog => _catalog;

    /// <summary>How this scheduler was started: its lease, heartbeat and planning settings.</summary>
    internal SchedulerOptions Options => _options;

    /// <summary>
    /// Takes the catalog's scheduler lease, recovers what a previous scheduler left (interrupted and queued runs), and
    /// starts planning and running the project's jobs. When another live scheduler holds the lease, the scheduler starts
    /// on standby (<see cref="Role"/>): it runs nothing and takes over when that lease lapses.
    /// </summary>
    /// <param name="environment">The host's environment of the project (its jobs and models; its catalog, engines, clock and logs), which stays the host's to close after the scheduler.</param>
    /// <param name="options">Limits, lease timing; defaults when null.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.RunStorageUnsupported"/> when the catalog is not a local file; errors of the models' SQL.
    /// </exception>
    public static async Task<JobScheduler> StartAsync(ProjectEnvironment environment, SchedulerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        options ??= new SchedulerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentSteps, 1, nameof(options));
        ModelGraph graph = await ModelGraph.BuildAsync(environment.Project, cancellationToken: cancellationToken).ConfigureAwait(false);
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        LeaseHolder holder = options.Holder ?? LeaseHolder.ForThisProcess();
        if (!options.RunsJobs)
        {
            // Serves only, or executes what schedulers admit: no lease, no planning; what it is asked goes through the
            // catalog (see RunsJobs).
            var serving = new JobScheduler(environment, graph, catalog, options, holder);
            if (options.ClaimsRuns)
            {
                serving.StartClaiming();
            }

            return serving;
        }

        if (options.PlansBesideOthers)
        {
            return await StartPlanningBesideOthersAsync(environment, graph, catalog, options, holder, cancellationToken).ConfigureAwait(false);
        }

        DateTimeOffset asked = environment.Time.GetUtcNow();
        CatalogLease? held = await TryAcquireLeaseAsync(catalog, holder, options.LeaseTimeToLive, cancellationToken).ConfigureAwait(false);
        var scheduler = new JobScheduler(environment, graph, catalog, options, holder) { _standbyBehind = held };
        if (held is null)
        {
            scheduler.LeaseHeldSince(asked);
        }

        if (held is null)
        {
            DateTimeOffset? nextFire = await scheduler.BeginSchedulingAsync(cancellationToken).ConfigureAwait(false);
            scheduler._activated.TrySetResult();
            scheduler._loop = Task.Run(() => scheduler.PlanLoopAsync(nextFire), CancellationToken.None);
        }
        else
        {
            // A live holder keeps the lease: serve on standby and take over when it lapses.
            scheduler._loop = Task.Run(scheduler.StandbyThenPlanAsync, CancellationToken.None);
        }

        return scheduler;
    }

    /// <summary>
    /// Starts a scheduler that plans beside the others of its catalog (<see cref="SchedulerOptions.PlansBesideOthers"/>):
    /// it lists itself among the catalog's servers before it queues or admits anything, for until it is listed another
    /// server would take its runs for a dead server's; then it plans as one that holds the lease does.
    /// </summary>
    private static async Task<JobScheduler> StartPlanningBesideOthersAsync(
        ProjectEnvironment environment, ModelGraph graph, CatalogStore catalog, SchedulerOptions options, LeaseHolder holder, CancellationToken cancellationToken)
    {
        if (!CatalogStore.IsDatabaseUrl(catalog.Path))
        {
            throw new MedallionException(ErrorCode.RunStorageUnsupported,
                $"Servers plan beside each other only on a catalog in PostgreSQL; {catalog.Path} is a SQLite file, which one server at a time schedules from (the scheduler lease).\nHelp: set catalog: postgres://... in medallion.yml (or MEDALLION_CATALOG_URL), or leave out --planning every-server: a SQLite catalog plans behind the lease.");
        }

        var scheduler = new JobScheduler(environment, graph, catalog, options, holder);
        DateTimeOffset asked = environment.Time.GetUtcNow();
        await catalog.Servers.ReportAsync(holder, ServerStore.PlannerRole, ServerPresence.Version, null, cancellationToken).ConfigureAwait(false);
        scheduler.PresenceRenewedAt(asked);
        // Heartbeats from now on: registering a large project's models may take longer than the others wait for silence.
        scheduler._heartbeat = Task.Run(scheduler.HeartbeatLoopAsync, CancellationToken.None);
        DateTimeOffset? nextFire;
        try
        {
            // The jobs of the planners already live are theirs from the first pass on, this one's catch-up included.
            await scheduler.ReadLivePlannersAsync(cancellationToken).ConfigureAwait(false);
            nextFire = await scheduler.BeginSchedulingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing is left beating for a scheduler that never started; whatever it queued another server takes back.
            await scheduler.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        scheduler._activated.TrySetResult();
        scheduler._loop = Task.Run(() => scheduler.PlanLoopAsync(nextFire), CancellationToken.None);
        return scheduler;
    }

    /// <summary>
    /// Once the lease is held: registers the model graph, reads the jobs' kept state, recovers what a previous scheduler
    /// left (interrupted and queued runs), plans the first pass (catch-up) and starts the streams and the heartbeat.
    /// </summary>
    /// <returns>The next fire time, for the planning loop.</returns>
    private async Task<DateTimeOffset?> BeginSchedulingAsync(CancellationToken cancellationToken)
    {
        // Once here, so that each run neither parses every model nor rewrites every table's entry (RunOptions.Graph).
        await ProjectCatalog.RegisterAsync(_definitions.Graph, _catalog, cancellationToken).ConfigureAwait(false);
        // Read now, not at construction: a scheduler that waited on standby sees what the holder paused meanwhile.
        Dictionary<string, JobState> kept = await _catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach ((string job, JobState state) in kept)
            {
                _jobStates[job] = state;
            }
        }
        finally
        {
            _state.Release();
        }

        await RecoverAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? nextFire = await PlanPassAsync(startup: true, cancellationToken).ConfigureAwait(false);
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }

        if (!_options.PlansBesideOthers)
        {
            _heartbeat = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        }

        return nextFire;
    }

    /// <summary>
    /// Stops: no more runs are planned or started; running runs get <paramref name="grace"/> to finish, then are
    /// cancelled (a cancelled model commits nothing) and recorded as cancelled, or on a worker handed back for another
    /// worker to claim; the lease is released.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stopPlanning.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        // Streams stop at once: they stop between commits, so nothing is lost, and they would never finish by themselves.
        await StopContinuousAsync().ConfigureAwait(false);
        Task running;
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            running = _executor.WhenRunningEnd();
        }
        finally
        {
            _state.Release();
        }

        if (!running.IsCompleted && grace > TimeSpan.Zero)
        {
            await Task.WhenAny(running, Task.Delay(grace, _time, cancellationToken)).ConfigureAwait(false);
        }

        // A worker hands the runs left back for another worker to claim; a scheduler ends them cancelled.
        await (RenewsOwnPresence ? _executor.HandBackAllAsync() : _executor.CancelAllAsync()).ConfigureAwait(false);
        await running.ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(false);
        await _catalog.Scheduler.ReleaseSchedulerLeaseAsync(Holder, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops at once (no grace) when not stopped yet; the catalog stays the environment's.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _filesConnection?.Dispose();
        _executor.Dispose();
        _stopPlanning.Dispose();
        _streamsLeaseLost.Dispose();
        _state.Dispose();
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        if (_options.PlansBesideOthers)
        {
            // The others plan on: only the runs of servers gone silent (this one's previous process among them) are taken
            // back, as at every pass; and every planner knows which tables streams load, whoever streams them.
            _executor.Streamed = StreamedTables(_definitions);
            _lastReclaim = _time.GetUtcNow();
            await ReclaimAsync(cancellationToken).ConfigureAwait(false);
            await RecoverBackfillsAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // Workers still heartbeating go on with the runs they hold: this scheduler watches those to their end.
        DateTimeOffset liveSince = _time.GetUtcNow() - _options.AdoptAfter;
        var retried = new HashSet<string>(StringComparer.Ordinal);
        List<RunRecord> recovered = await _catalog.Runs.RecoverRunsAsync(Holder.Id, liveSince, Retries(retried), cancellationToken).ConfigureAwait(false);
        await TakeOverInterruptedAsync(recovered, retried, "interrupted by a scheduler that stopped; retried by its job's policy").ConfigureAwait(false);
        // Their tables stay locked in the catalog until they end; a run admitted by an earlier version, which kept its
        // locks in memory, gets them there now.
        var unlocked = new List<RunAdmission>();
        foreach (RunRecord run in await _catalog.Runs.GetRunsOfLiveServersAsync(liveSince, cancellationToken).ConfigureAwait(false))
        {
            _admitted[run.Id] = run;
            if (_definitions.JobOf(run) is { } job)
            {
                unlocked.Add(new RunAdmission(run.Id, RunExecutor.TablesWritten(run, job, _definitions, _executor.Streamed), Here: false));
            }
        }

        await _catalog.Runs.LockTablesOfUnlockedRunsAsync(unlocked, cancellationToken).ConfigureAwait(false);

        await RecoverBackfillsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether an interrupted run is retried (queued again in the catalog's same write): its job's retries allow one
    /// more attempt; a stream never is (its continuous job starts a new one). The runs it says yes to go in <paramref name="retried"/>.
    /// </summary>
    private Func<RunRecord, int, bool> Retries(HashSet<string> retried)
    {
        Definitions definitions = _definitions;
        return (run, attempts) =>
        {
            bool again = run.Trigger != RunTrigger.Continuous && definitions.JobOf(run) is { } job && attempts <= job.Retries.Count;
            if (again)
            {
                retried.Add(run.Id);
            }

            return again;
        };
    }

    /// <summary>
    /// Takes over runs the catalog just recovered or took back: queued ones join the queue (those retried say why in their
    /// log); interrupted ones may end their backfill. Called with <see cref="_state"/> held, or before the loop starts.
    /// </summary>
    private async Task TakeOverInterruptedAsync(List<RunRecord> runs, HashSet<string> retried, string why)
    {
        foreach (RunRecord run in runs)
        {
            if (run.Status == RunStatus.Queued)
            {
                if (retried.Contains(run.Id))
                {
                    await _executor.LogAsync(run, null, "warning", why).ConfigureAwait(false);
                }

                _queue.Add(run);
            }
            else if (run.BackfillId is { } backfill)
            {
                await FinishBackfillIfDoneAsync(backfill).ConfigureAwait(false);
            }
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        CancellationToken stop = _stopPlanning.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, _time, stop).ConfigureAwait(false);
                if (_options.PlansBesideOthers ? !await PlannerHeartbeatAsync(stop).ConfigureAwait(false) : !await RenewLeaseAsync(stop).ConfigureAwait(false))
                {
                    return;
                }

                if (_options.PlansBesideOthers)
                {
                    await ReadLivePlannersAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The catalog could not be written this time (locked, a full disk): the lease lives on until it expires,
                // and the next heartbeat tries again. Ending this loop would let the lease lapse while this server still
                // schedules, and another take it over.
                LogHeartbeatFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>
    /// A planner's heartbeat: moves its own (false once its runs were taken back, see <see cref="RenewPresenceAsync"/>),
    /// then renews the scheduler lease it holds, or tries to take it, and starts the streams when it does.
    /// </summary>
    private async Task<bool> PlannerHeartbeatAsync(CancellationToken cancellationToken)
    {
        if (!await RenewPresenceAsync(cancellationToken).ConfigureAwait(false))
        {
            return !LeaseLost;
        }

        if (_plannerHoldsLease)
        {
            return await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!_activated.Task.IsCompleted)
        {
            // Still starting: the streams it would start need the jobs' states read first.
            return true;
        }

        DateTimeOffset asked = _time.GetUtcNow();
        if (await TryAcquireLeaseAsync(_catalog, Holder, _options.LeaseTimeToLive, cancellationToken).ConfigureAwait(false) is not null)
        {
            return true;
        }

        LeaseHeldSince(asked);
        _plannerHoldsLease = true;
        LogTookOver(_logger, Holder.ToString());
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }

        return true;
    }

    /// <summary>True when another scheduler took the lease after this one missed its heartbeats; this one then plans nothing.</summary>
    public bool LeaseLost { get; private set; }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>The name runs of a selection (no job) go by in metrics and traces, where a job's name would be.</summary>
    public const string SelectionJobName = "(selection)";

    /// <summary>
    /// Whether a run belongs to no job but builds a selection queued on a server (<see cref="RunSelectionAsync"/>, or a
    /// repeat of one), which the scheduler runs, retries and re-runs as it does a job's; a run recorded by
    /// <c>medallion run</c> has no job either, and no scheduler repeats it.
    /// </summary>
    public static bool IsSelectionRun(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Job is null && run.Trigger == RunTrigger.Api && run.Selection is not null;
    }

    /// <summary>The project as loaded at one time: its files, its model graph and its jobs by name.</summary>
    internal sealed record Definitions(ProjectEnvironment Environment, ModelGraph Graph)
    {
        public MedallionProject Project => Environment.Project;

        public Dictionary<string, JobDefinition> Jobs { get; } = Environment.Project.Jobs.ToDictionary(j => j.Name, StringComparer.Ordinal);

        /// <summary>
        /// What a run runs as: its job; for a run of a selection asked for through the API (no job), a job of that
        /// selection alone, with no sources of its own (it loads those its models read, as any run does), no retries,
        /// no timeouts, and no limit on runs at once beyond the table locks every run takes. Null for a run whose job
        /// the project no longer defines, and for one recorded by <c>medallion run</c>, which no scheduler runs.
        /// </summary>
        public JobDefinition? JobOf(RunRecord run) =>
            run.Job is { } name ? Jobs.GetValueOrDefault(name)
            : IsSelectionRun(run) ? SelectionJob(run.Selection!)
            : null;

        private static JobDefinition SelectionJob(string selection) => new(
            SelectionJobName, selection, [], null, [], [], CatchupPolicy.None, RetryPolicy.None, null, null, int.MaxValue, false, new SourceLocation("(selection)"));

        /// <summary>
        /// The jobs that run after a run's job (<c>after:</c>), to queue when the run succeeds; none for a run of no job.
        /// Whether each is paused is the catalog's to say at that moment (see <see cref="AfterRun.PausedInFile"/>).
        /// </summary>
        public IReadOnlyList<AfterRun> After(RunRecord run) =>
            run.Job is not { } upstream ? []
            : [.. Jobs.Values.Where(j => j.After.Contains(upstream, StringComparer.Ordinal))
                .Select(j => new AfterRun(j.Name, j.Select, j.Paused, $"queued: run {run.Id} of job '{upstream}', which this job runs after, succeeded"))];

        /// <summary>The source that loads each bronze table a source loads.</summary>
        public Dictionary<TableName, string> SourceTargets { get; } = SourceTargetsOf(Environment.Project);

        private static Dictionary<TableName, string> SourceTargetsOf(MedallionProject project)
        {
            var targets = new Dictionary<TableName, string>();
            foreach (SourceDefinition source in project.Sources)
            {
                targets[source.Target] = source.Name;
            }

            foreach (DatabaseSourceDefinition source in project.DatabaseSources)
            {
                foreach (DatabaseTableDefinition table in source.Tables)
                {
                    targets[table.Target] = source.Name;
                }
            }

            foreach (ApiSourceDefinition source in project.ApiSources)
            {
                targets[source.Target] = source.Name;
            }

            return targets;
        }
    }
}
