using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The catalog's runs: each run with its attempts, log lines, model and source outcomes and the table versions it
/// committed; the queue of planned runs (a scheduled fire time recorded once), the adoption of runs a stopped scheduler
/// left, history queries, and pruning of old runs.
/// Reached through <see cref="CatalogStore.Runs"/>.
/// </summary>
public sealed partial class RunStore
{
    private readonly CatalogDatabase _db;
    private readonly TableCatalog _tables;

    internal RunStore(CatalogDatabase db, TableCatalog tables)
    {
        _db = db;
        _tables = tables;
    }

    internal const string RunColumns = "id, started_at, finished_at, status, selection, error, job, trigger, interval_start, interval_end, holder, backfill_id, parent_id, variables, environment, upstream_run_id";
    private const string SourceRunColumns = "run_id, target, pass, source, source_table, mode, rows_read, batches, position, committed_version, slot_lag_bytes, recorded_at";
    private const string ModelRunColumns = "run_id, model, status, rows_written, upstream_versions, duration_ms, error, committed_version, started_at";

    /// <summary>Records the start of a run and returns it with a new, time-ordered id.</summary>
    /// <param name="selection">The <c>--select</c> expression, or null for the whole project.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task<RunRecord> StartRunAsync(string? selection, CancellationToken cancellationToken = default) =>
        StartRunAsync(selection, EnvironmentStore.Production, cancellationToken);

    /// <summary>Records the start of a run that builds environment <paramref name="environment"/>'s tables and returns it with a new, time-ordered id.</summary>
    /// <param name="selection">The <c>--select</c> expression, or null for the whole project.</param>
    /// <param name="environment">The environment whose tables the run builds.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<RunRecord> StartRunAsync(string? selection, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        DateTimeOffset now = _db.Time.GetUtcNow();
        var run = new RunRecord(CatalogIds.Next(now), now, null, RunStatus.Running, selection, null) { Environment = environment };
        await _db.ExecuteAsync(
            "INSERT INTO runs (id, started_at, finished_at, status, selection, error, environment) VALUES (@id, @started, NULL, @status, @selection, NULL, @environment)",
            [("@id", run.Id), ("@started", FormatTime(run.StartedAt)), ("@status", FormatStatus(run.Status)), ("@selection", selection), ("@environment", environment)],
            cancellationToken).ConfigureAwait(false);
        return run;
    }

    /// <summary>Records the end of a run with its outcome.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public Task<RunRecord> FinishRunAsync(string runId, RunStatus status, string? error = null, CancellationToken cancellationToken = default) =>
        FinishRunAsync(runId, status, error, null, cancellationToken);

    /// <summary>Records a run's final state, only while <paramref name="holderId"/> holds it (or nobody does).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="status">Its final state.</param>
    /// <param name="error">Why it did not succeed.</param>
    /// <param name="holderId">The scheduler that ends it; null ends it whoever holds it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunNoLongerHeld"/> when another scheduler holds the run now
    /// (it took it over); <see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public Task<RunRecord> FinishRunAsync(string runId, RunStatus status, string? error, string? holderId, CancellationToken cancellationToken = default) =>
        FinishRunAsync(runId, status, error, holderId, [], cancellationToken);

    /// <summary>
    /// Records a run's final state, only while <paramref name="holderId"/> holds it (or nobody does), and when it succeeded
    /// queues in the same write a run of each job in <paramref name="after"/> that is not paused: with the run's data
    /// interval, held by no scheduler (the one that runs the jobs adopts it, see <see cref="AdoptQueuedRunsAsync"/>), and
    /// at most once per job and upstream run, however many times or by whom the success is recorded. A crash after the
    /// write loses none of them; a crash before it leaves the run to be retried, as any run.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="status">Its final state.</param>
    /// <param name="error">Why it did not succeed.</param>
    /// <param name="holderId">The scheduler that ends it; null ends it whoever holds it.</param>
    /// <param name="after">The jobs that run after the run's job, queued only when <paramref name="status"/> is <see cref="RunStatus.Succeeded"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunNoLongerHeld"/> when another scheduler holds the run now
    /// (it took it over); <see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task<RunRecord> FinishRunAsync(string runId, RunStatus status, string? error, string? holderId, IReadOnlyList<AfterRun> after, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(after);
        int updated = await _db.WriteAsync((connection, transaction) =>
        {
            string finished = _db.Now();
            int ended = Execute(
                connection,
                transaction,
                "UPDATE runs SET finished_at = @finished, status = @status, error = @error WHERE id = @id" + (holderId is null ? "" : " AND (holder IS NULL OR holder = @holder)"),
                [("@id", runId), ("@finished", finished), ("@status", FormatStatus(status)), ("@error", error), ("@holder", holderId)]);
            if (ended == 1 && status == RunStatus.Succeeded)
            {
                foreach (AfterRun next in after)
                {
                    QueueAfter(connection, transaction, runId, next, finished);
                }
            }

            return ended;
        }, cancellationToken).ConfigureAwait(false);
        RunRecord? run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            throw RunNotFound(runId);
        }

        if (updated == 0)
        {
            throw new MedallionException(ErrorCode.RunNoLongerHeld, $"Run {runId} is held by {run.Holder} now, not by {holderId}: its end was not recorded by the scheduler that lost it.");
        }

        return run;
    }

    /// <summary>Queues a run of <paramref name="next"/> after the upstream run (unless its job is paused, or was queued after that run already), with its first log line.</summary>
    private void QueueAfter(DbConnection connection, DbTransaction transaction, string upstreamId, AfterRun next, string now)
    {
        string id = CatalogIds.Next(_db.Time.GetUtcNow());
        // The job's pause as the catalog holds it (set at run time), else as its file says.
        int queued = Execute(
            connection,
            transaction,
            $"""
             INSERT INTO runs ({RunColumns})
             SELECT @id, @now, NULL, @queued, @selection, NULL, @job, @trigger, u.interval_start, u.interval_end, NULL, NULL, NULL, @variables, @environment, u.id
             FROM runs u
             WHERE u.id = @upstream AND COALESCE((SELECT s.paused FROM job_state s WHERE s.job = @job), @pausedInFile) = 0
             ON CONFLICT DO NOTHING
             """,
            [
                ("@id", id), ("@now", now), ("@queued", FormatStatus(RunStatus.Queued)), ("@selection", next.Selection), ("@job", next.Job),
                ("@trigger", FormatTrigger(RunTrigger.After)), ("@variables", CatalogJson.WriteStringMap(new Dictionary<string, string>())),
                ("@environment", EnvironmentStore.Production), ("@upstream", upstreamId), ("@pausedInFile", next.PausedInFile ? 1 : 0),
            ]);
        if (queued == 1)
        {
            Execute(
                connection,
                transaction,
                "INSERT INTO run_logs (run_id, seq, logged_at, model, level, message) VALUES (@id, 1, @now, NULL, 'info', @message)",
                [("@id", id), ("@now", now), ("@message", next.Note)]);
        }
    }

    /// <summary>
    /// Forgets a run: the run, its model and source runs and its quality results go, in one transaction. For runs that
    /// did nothing worth keeping, such as the idle passes of a continuous run. Table versions a run committed are not
    /// its records and stay.
    /// </summary>
    /// <returns>False when no run has that id.</returns>
    public async Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        if (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        // Model and source runs go with the run (ON DELETE CASCADE); quality results reference it by id only.
        await _db.ExecuteInTransactionAsync(
            [
                ("DELETE FROM quality_results WHERE run_id = @id", [("@id", runId)]),
                ("DELETE FROM runs WHERE id = @id", [("@id", runId)]),
            ],
            cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The run with that id, or null.</summary>
    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        List<RunRecord> runs = await _db.QueryAsync($"SELECT {RunColumns} FROM runs WHERE id = @id", [("@id", runId)], ReadRun, cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <summary>The last <paramref name="count"/> runs, newest first: optionally only those in one state, and a page further back.</summary>
    /// <param name="count">How many runs at most.</param>
    /// <param name="status">Only runs in this state; null for all.</param>
    /// <param name="offset">How many of the newest matching runs to skip (the runs of earlier pages).</param>
    /// <param name="cancellationToken">Stops the query.</param>
    public Task<List<RunRecord>> ListRunsAsync(int count = 20, RunStatus? status = null, int offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return status is { } only
            ? _db.QueryAsync($"SELECT {RunColumns} FROM runs WHERE status = @status ORDER BY started_at DESC, id DESC LIMIT @count OFFSET @offset",
                [("@status", FormatStatus(only)), ("@count", count), ("@offset", offset)], ReadRun, cancellationToken)
            : _db.QueryAsync($"SELECT {RunColumns} FROM runs ORDER BY started_at DESC, id DESC LIMIT @count OFFSET @offset",
                [("@count", count), ("@offset", offset)], ReadRun, cancellationToken);
    }

    /// <summary>Records (or replaces) the outcome of one model in a run.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public Task RecordModelRunAsync(ModelRunRecord modelRun, CancellationToken cancellationToken = default) => RecordModelRunAsync(modelRun, null, cancellationToken);

    /// <summary>
    /// Records a model's outcome in its run and, when given, what it built in its environment (<paramref name="state"/>),
    /// in one write: a model that succeeded without committing (nothing new upstream) still is what its environment holds.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when <paramref name="modelRun"/> names no run; nothing is written then.</exception>
    public async Task RecordModelRunAsync(ModelRunRecord modelRun, ModelStateRecord? state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelRun);
        List<(string Sql, (string Name, object? Value)[] Parameters)> statements = [ModelRunStatement(modelRun)];
        if (state is not null)
        {
            statements.Add(EnvironmentStore.StateStatement(state));
            statements.AddRange(EnvironmentStore.TrackingStatements(_db.Now()));
        }

        await WriteInRunAsync(modelRun.RunId, statements, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a table version a step committed, in one write: the table's registration when the catalog does not know
    /// it yet (an existing one is left as it is), the version with its schema, the table's current columns, and the
    /// step's outcome in its run when <paramref name="modelRun"/> is given.
    /// </summary>
    /// <remarks>One write rather than one each: a run waits for one commit of the catalog, not four.</remarks>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when <paramref name="modelRun"/> names no run; nothing is written then.</exception>
    public Task RecordCommitAsync(CatalogTable table, TableVersionRecord version, IReadOnlyList<CatalogColumn> columns, ModelRunRecord? modelRun, CancellationToken cancellationToken = default) =>
        RecordCommitAsync(table, version, columns, modelRun, null, null, cancellationToken);

    /// <summary>
    /// Records a table version a step committed as <see cref="RecordCommitAsync(CatalogTable, TableVersionRecord, IReadOnlyList{CatalogColumn}, ModelRunRecord?, CancellationToken)"/>
    /// does and, when given, what the model built in its environment (<paramref name="state"/>), all in one write.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when <paramref name="modelRun"/> names no run; nothing is written then.</exception>
    /// <param name="table">The table's registration, used when the catalog does not know it yet.</param>
    /// <param name="version">The version, of the physical table <see cref="TableVersionRecord.Location"/> names.</param>
    /// <param name="columns">The table's columns now; null leaves the catalog's as they are (a build of another environment's physical table, not the one prod serves).</param>
    /// <param name="modelRun">The step's outcome, or null.</param>
    /// <param name="state">What the model's environment now holds of it, or null.</param>
    /// <param name="lineage">
    /// The model's lineage as built, recorded of the physical table <paramref name="state"/> names (see
    /// <see cref="TableCatalog.ReplaceLineageAsync(TableName, IReadOnlyList{LineageEdge}, string, string?, CancellationToken)"/>)
    /// in the same write, so the version and what it reads are never recorded apart; null leaves the lineage alone.
    /// </param>
    /// <param name="cancellationToken">Stops the write before it starts.</param>
    /// <exception cref="ArgumentException"><paramref name="lineage"/> without a <paramref name="state"/>, or an edge ending in another table.</exception>
    public async Task RecordCommitAsync(CatalogTable table, TableVersionRecord version, IReadOnlyList<CatalogColumn>? columns, ModelRunRecord? modelRun, ModelStateRecord? state, IReadOnlyList<LineageEdge>? lineage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentException.ThrowIfNullOrWhiteSpace(table.Location);
        if (lineage is not null)
        {
            if (state is null)
            {
                throw new ArgumentException("Lineage is recorded of the physical table a model's state names; no state was given.", nameof(lineage));
            }

            TableCatalog.CheckLineage(table.Name, lineage, state.Environment);
        }

        List<(string Sql, (string Name, object? Value)[] Parameters)> statements = _tables.RegistrationStatements(table, replace: false);
        statements.Add(TableCatalog.VersionStatement(version));
        if (columns is not null)
        {
            statements.AddRange(TableCatalog.ColumnStatements(version.Table, columns));
        }

        if (modelRun is not null)
        {
            statements.Add(ModelRunStatement(modelRun));
        }

        if (state is not null)
        {
            statements.Add(EnvironmentStore.StateStatement(state));
            statements.AddRange(EnvironmentStore.TrackingStatements(_db.Now()));
        }

        if (lineage is not null)
        {
            statements.AddRange(TableCatalog.LineageStatements(table.Name, lineage, state!.Environment, state.Location ?? string.Empty));
        }

        await WriteInRunAsync(modelRun?.RunId, statements, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the statements in one write, after checking (in the same transaction) that run <paramref name="runId"/> exists, when given.</summary>
    private Task WriteInRunAsync(string? runId, List<(string Sql, (string Name, object? Value)[] Parameters)> statements, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        _db.WriteAsync(
            (connection, transaction) =>
            {
                if (runId is not null)
                {
                    using DbCommand exists = CreateCommand(connection, transaction, "SELECT COUNT(*) FROM runs WHERE id = @id", [("@id", runId)]);
                    if ((long)exists.ExecuteScalar()! == 0)
                    {
                        throw RunNotFound(runId);
                    }
                }

                foreach ((string sql, (string Name, object? Value)[] parameters) in statements)
                {
                    using DbCommand command = CreateCommand(connection, transaction, sql, parameters);
                    command.ExecuteNonQuery();
                }

                return 0;
            },
            durable: false,
            write,
            cancellationToken);

    private static (string Sql, (string Name, object? Value)[] Parameters) ModelRunStatement(ModelRunRecord modelRun) =>
    (
        $"""
         INSERT INTO model_runs ({ModelRunColumns}) VALUES (@run, @model, @status, @rows, @upstream, @duration, @error, @version, @started)
         ON CONFLICT (run_id, model) DO UPDATE SET status = excluded.status, rows_written = excluded.rows_written,
             upstream_versions = excluded.upstream_versions, duration_ms = excluded.duration_ms, error = excluded.error,
             committed_version = excluded.committed_version, started_at = excluded.started_at
         """,
        [
            ("@run", modelRun.RunId), ("@model", modelRun.Model.ToString().ToLowerInvariant()), ("@status", FormatStatus(modelRun.Status)),
            ("@rows", modelRun.RowsWritten), ("@upstream", CatalogJson.WriteVersions(modelRun.UpstreamVersions)),
            ("@duration", (long)modelRun.Duration.TotalMilliseconds), ("@error", modelRun.Error), ("@version", modelRun.CommittedVersion),
            ("@started", modelRun.StartedAt is { } started ? FormatTime(started) : null),
        ]);

    /// <summary>The models of a run, by model name.</summary>
    public Task<List<ModelRunRecord>> GetModelRunsAsync(string runId, CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {ModelRunColumns} FROM model_runs WHERE run_id = @run ORDER BY model", [("@run", runId)], ReadModelRun, cancellationToken);

    /// <summary>The models of several runs (a page of runs drawn as a grid), by run and then model name.</summary>
    public async Task<List<ModelRunRecord>> GetModelRunsAsync(IReadOnlyCollection<string> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0)
        {
            return [];
        }

        (string Name, object? Value)[] parameters = [.. runIds.Select((id, i) => ($"@run{i}", (object?)id))];
        return await _db.QueryAsync(
            $"SELECT {ModelRunColumns} FROM model_runs WHERE run_id IN ({string.Join(", ", parameters.Select(p => p.Name))}) ORDER BY run_id, model",
            parameters,
            ReadModelRun,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The model's latest successful run, or null when it never succeeded. Its
    /// <see cref="ModelRunRecord.UpstreamVersions"/> tell an incremental model where to resume.
    /// </summary>
    public Task<ModelRunRecord?> GetLastSuccessfulModelRunAsync(TableName model, CancellationToken cancellationToken = default) =>
        GetLastSuccessfulModelRunAsync(model, EnvironmentStore.Production, cancellationToken);

    /// <summary>
    /// The model's latest successful run in <paramref name="environment"/>, or null when it never succeeded there: another
    /// environment's runs built other tables, so their upstream versions say nothing of this one's.
    /// </summary>
    public async Task<ModelRunRecord?> GetLastSuccessfulModelRunAsync(TableName model, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        List<ModelRunRecord> runs = await _db.QueryAsync(
            $"""
             SELECT {PrefixColumns("m.", ModelRunColumns)} FROM model_runs m JOIN runs r ON r.id = m.run_id
             WHERE m.model = @model AND m.status = @status AND r.environment = @environment ORDER BY r.started_at DESC, r.id DESC LIMIT 1
             """,
            [("@model", model.ToString().ToLowerInvariant()), ("@status", FormatStatus(RunStatus.Succeeded)), ("@environment", environment)],
            ReadModelRun,
            cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <summary>
    /// Each table's newest step (a model's build or a source's load) of the runs of <paramref name="environment"/> only, whatever
    /// its status: what the lineage graph shows as the table's last run there, asked once for every table rather than once per
    /// table. Another environment's runs built other tables, so a failed dev apply is not prod's last run.
    /// </summary>
    public Task<List<ModelRunRecord>> GetLatestModelRunsAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"""
             SELECT {ModelRunColumns} FROM (
               SELECT {PrefixColumns("m.", ModelRunColumns)}, row_number() OVER (PARTITION BY m.model ORDER BY r.started_at DESC, r.id DESC) AS newest
               FROM model_runs m JOIN runs r ON r.id = m.run_id WHERE r.environment = @environment) latest
             WHERE newest = 1
             """,
            [("@environment", environment)],
            ReadModelRun,
            cancellationToken);
    }

    /// <summary>
    /// The model's runs, newest first (every status): the first is what <c>medallion describe</c> shows as the
    /// last run, and <see cref="ModelRunRecord.CommittedVersion"/> tells which run wrote which table version.
    /// </summary>
    public Task<List<ModelRunRecord>> GetModelRunHistoryAsync(TableName model, int count = 100, CancellationToken cancellationToken = default) =>
        QueryModelRunHistoryAsync(model, count, null, cancellationToken);

    /// <summary>The model's runs in <paramref name="environment"/> only (runs that built its tables there), newest first.</summary>
    public Task<List<ModelRunRecord>> GetModelRunHistoryAsync(TableName model, int count, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return QueryModelRunHistoryAsync(model, count, environment, cancellationToken);
    }

    private Task<List<ModelRunRecord>> QueryModelRunHistoryAsync(TableName model, int count, string? environment, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return _db.QueryAsync(
            $"""
             SELECT {PrefixColumns("m.", ModelRunColumns)} FROM model_runs m JOIN runs r ON r.id = m.run_id
             WHERE m.model = @model{(environment is null ? string.Empty : " AND r.environment = @environment")} ORDER BY r.started_at DESC, r.id DESC LIMIT @count
             """,
            environment is null
                ? [("@model", model.ToString().ToLowerInvariant()), ("@count", count)]
                : [("@model", model.ToString().ToLowerInvariant()), ("@count", count), ("@environment", environment)],
            ReadModelRun,
            cancellationToken);
    }

    /// <summary>
    /// The runs whose id starts with <paramref name="idPrefix"/> (ids are long, so people type a prefix), newest
    /// first, at most <paramref name="count"/>.
    /// </summary>
    public Task<List<RunRecord>> FindRunsAsync(string idPrefix, int count = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        // substr rather than LIKE: a prefix holding '%' or '_' must match literally.
        return _db.QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY started_at DESC, id DESC LIMIT @count",
            [("@prefix", idPrefix.ToLowerInvariant()), ("@count", count)],
            ReadRun,
            cancellationToken);
    }

    /// <summary>Records (or replaces) one pass over a database table in a run.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task RecordSourceRunAsync(SourceRunRecord sourceRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceRun);
        if (await GetRunAsync(sourceRun.RunId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw RunNotFound(sourceRun.RunId);
        }

        await _db.ExecuteAsync(
            $"""
             INSERT INTO source_runs ({SourceRunColumns}) VALUES (@run, @target, @pass, @source, @table, @mode, @rows, @batches, @position, @version, @lag, @at)
             ON CONFLICT (run_id, target, pass) DO UPDATE SET rows_read = excluded.rows_read, batches = excluded.batches,
                 position = excluded.position, committed_version = excluded.committed_version, slot_lag_bytes = excluded.slot_lag_bytes,
                 recorded_at = excluded.recorded_at
             """,
            [
                ("@run", sourceRun.RunId), ("@target", sourceRun.Target.ToString().ToLowerInvariant()), ("@pass", sourceRun.Pass),
                ("@source", sourceRun.Source), ("@table", sourceRun.SourceTable), ("@mode", sourceRun.Mode), ("@rows", sourceRun.Rows),
                ("@batches", sourceRun.Batches), ("@position", sourceRun.Position), ("@version", sourceRun.CommittedVersion),
                ("@lag", sourceRun.SlotLagBytes), ("@at", FormatTime(sourceRun.RecordedAt)),
            ],
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The database table passes of a run, by target and pass.</summary>
    public Task<List<SourceRunRecord>> GetSourceRunsAsync(string runId, CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {SourceRunColumns} FROM source_runs WHERE run_id = @run ORDER BY target, pass", [("@run", runId)], ReadSourceRun, cancellationToken);

    /// <summary>
    /// The newest pass into each bronze table fed by a database source (its slot lag, position), and when a pass last
    /// reached a position: what <c>/metrics</c> reports per source table, in one query over the target index.
    /// </summary>
    public Task<List<SourceState>> GetSourceStatesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            $"""
             SELECT {PrefixColumns("s.", SourceRunColumns)}, newest.positioned_at
             FROM source_runs s
             JOIN (SELECT target, max(recorded_at) AS recorded_at, max(recorded_at) FILTER (WHERE position IS NOT NULL) AS positioned_at
                   FROM source_runs GROUP BY target) newest
               ON newest.target = s.target AND newest.recorded_at = s.recorded_at
             """,
            [],
            r => new SourceState(ReadSourceRun(r), r.IsDBNull(12) ? null : ParseTime(r.GetString(12))),
            cancellationToken);

    private static string PrefixColumns(string prefix, string columns) => prefix + columns.Replace(", ", ", " + prefix, StringComparison.Ordinal);

    internal static MedallionException RunNotFound(string runId) =>
        new(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: check the id against the recent runs.");

    internal static string FormatStatus(RunStatus status) => status.ToString().ToLowerInvariant();

    internal static RunStatus ParseStatus(string text) => Enum.Parse<RunStatus>(text, ignoreCase: true);

    internal static RunRecord ReadRun(DbDataReader r) => new(
        r.GetString(0),
        ParseTime(r.GetString(1)),
        r.IsDBNull(2) ? null : ParseTime(r.GetString(2)),
        ParseStatus(r.GetString(3)),
        GetNullableString(r, 4),
        GetNullableString(r, 5))
    {
        Job = GetNullableString(r, 6),
        Trigger = Enum.Parse<RunTrigger>(r.GetString(7), ignoreCase: true),
        IntervalStart = r.IsDBNull(8) ? null : ParseTime(r.GetString(8)),
        IntervalEnd = r.IsDBNull(9) ? null : ParseTime(r.GetString(9)),
        Holder = GetNullableString(r, 10),
        BackfillId = GetNullableString(r, 11),
        ParentId = GetNullableString(r, 12),
        Variables = r.IsDBNull(13) ? new Dictionary<string, string>() : CatalogJson.ReadStringMap(r.GetString(13)),
        Environment = r.GetString(14),
        UpstreamRunId = GetNullableString(r, 15),
    };

    private static ModelRunRecord ReadModelRun(DbDataReader r) => new(
        r.GetString(0),
        TableName.Parse(r.GetString(1)),
        ParseStatus(r.GetString(2)),
        GetNullableInt64(r, 3),
        CatalogJson.ReadVersions(r.GetString(4)),
        TimeSpan.FromMilliseconds(r.GetInt64(5)),
        GetNullableString(r, 6),
        GetNullableInt64(r, 7))
    {
        StartedAt = r.IsDBNull(8) ? null : ParseTime(r.GetString(8)),
    };

    private static SourceRunRecord ReadSourceRun(DbDataReader r) => new(
        r.GetString(0),
        TableName.Parse(r.GetString(1)),
        r.GetInt64(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        r.GetInt64(6),
        r.GetInt64(7),
        GetNullableString(r, 8),
        GetNullableInt64(r, 9),
        GetNullableInt64(r, 10),
        ParseTime(r.GetString(11)));

    private const string AttemptColumns = "run_id, attempt, started_at, finished_at, status, error, transient";


    /// <summary>
    /// Records a planned run of a job as <see cref="RunStatus.Queued"/>. A scheduled fire time of a job is recorded once:
    /// when a run with the same job and <see cref="RunStart.IntervalEnd"/> and trigger <see cref="RunTrigger.Schedule"/>
    /// exists already, nothing is written and the result is null (restarts and catch-up never plan a fire time twice).
    /// </summary>
    public Task<RunRecord?> TryQueueRunAsync(RunStart start, CancellationToken cancellationToken = default) =>
        TryQueueRunAsync(start, null, cancellationToken);

    /// <summary>
    /// Records a planned run as <see cref="TryQueueRunAsync(RunStart, CancellationToken)"/> does and, in the same write,
    /// the versions of the watched tables its <c>on_new_data</c> job has now seen (see
    /// <see cref="SchedulerStore.SetJobSeenVersionsAsync"/>): a crash after the write neither loses the run nor queues it
    /// again for the same versions at the next start.
    /// </summary>
    /// <param name="start">The run.</param>
    /// <param name="seenVersions">The versions its job saw when the run was planned; null records none.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task<RunRecord?> TryQueueRunAsync(RunStart start, IReadOnlyDictionary<string, long>? seenVersions, CancellationToken cancellationToken = default) =>
        TryQueueRunAsync(start, seenVersions, null, cancellationToken);

    /// <summary>
    /// Records a planned run with the versions its job saw, as <see cref="TryQueueRunAsync(RunStart, IReadOnlyDictionary{string, long}?, CancellationToken)"/>
    /// does, only while the job's recorded versions are still <paramref name="seenBefore"/>, the ones its planner started
    /// from; otherwise nothing is written and the result is null. Servers planning beside each other see a table's new
    /// version at once, and this way only one of them queues the run for it.
    /// </summary>
    /// <param name="start">The run.</param>
    /// <param name="seenVersions">The versions its job saw when the run was planned; null records none.</param>
    /// <param name="seenBefore">The versions the job had seen before, as the planner read them (empty for none); null checks nothing.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<RunRecord?> TryQueueRunAsync(
        RunStart start, IReadOnlyDictionary<string, long>? seenVersions, IReadOnlyDictionary<string, long>? seenBefore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (seenBefore is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(start.Job, nameof(start));
        }

        if (seenVersions is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(start.Job, nameof(start));
        }

        DateTimeOffset now = _db.Time.GetUtcNow();
        string id = CatalogIds.Next(now);
        int inserted = await _db.WriteAsync((connection, transaction) =>
        {
            if (seenBefore is not null && !SameVersions(Scalar(connection, transaction, "SELECT seen_versions FROM job_state WHERE job = @job", [("@job", start.Job)]), seenBefore))
            {
                return 0;
            }

            int queued = Execute(
                connection,
                transaction,
                $"""
                 INSERT INTO runs ({RunColumns})
                 VALUES (@id, @started, NULL, @status, @selection, NULL, @job, @trigger, @intervalStart, @intervalEnd, @holder, @backfill, @parent, @variables, @environment, NULL)
                 ON CONFLICT DO NOTHING
                 """,
                [
                    ("@id", id), ("@started", FormatTime(now)), ("@status", FormatStatus(RunStatus.Queued)), ("@selection", start.Selection),
                    ("@job", start.Job), ("@trigger", FormatTrigger(start.Trigger)), ("@intervalStart", FormatNullableTime(start.IntervalStart)),
                    ("@intervalEnd", FormatNullableTime(start.IntervalEnd)), ("@holder", start.Holder), ("@backfill", start.BackfillId),
                    ("@parent", start.ParentId), ("@variables", CatalogJson.WriteStringMap(start.Variables)), ("@environment", EnvironmentStore.Production),
                ]);
            if (seenVersions is not null)
            {
                Execute(connection, transaction, SchedulerStore.SeenVersionsUpsert, SchedulerStore.SeenVersionsParameters(start.Job!, seenVersions, FormatTime(now)));
            }

            return queued;
        }, cancellationToken).ConfigureAwait(false);
        // The run as it now reads back, without reading it: a pass that queues many runs at one fire time waits on none.
        return inserted == 0 ? null : new RunRecord(id, Stored(now), null, RunStatus.Queued, start.Selection, null)
        {
            Job = start.Job,
            Trigger = start.Trigger,
            IntervalStart = start.IntervalStart is { } intervalStart ? Stored(intervalStart) : null,
            IntervalEnd = start.IntervalEnd is { } intervalEnd ? Stored(intervalEnd) : null,
            Holder = start.Holder,
            BackfillId = start.BackfillId,
            ParentId = start.ParentId,
            Variables = new Dictionary<string, string>(start.Variables, StringComparer.Ordinal),
            Environment = EnvironmentStore.Production,
        };
    }

    /// <summary>A time as the catalog keeps it (its text's precision), so that a record built in memory equals one read back.</summary>
    private static DateTimeOffset Stored(DateTimeOffset time) => ParseTime(FormatTime(time));

    /// <summary>Whether a job's recorded seen versions (its <c>seen_versions</c> column, or no row) are <paramref name="expected"/>.</summary>
    private static bool SameVersions(object? recorded, IReadOnlyDictionary<string, long> expected)
    {
        IReadOnlyDictionary<string, long> versions = recorded is string json ? CatalogJson.ReadVersions(json) : new Dictionary<string, long>();
        return versions.Count == expected.Count && expected.All(e => versions.TryGetValue(e.Key, out long version) && version == e.Value);
    }

    /// <summary>Starts the next attempt of a run (1 for the first): the run becomes <see cref="RunStatus.Running"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public Task<RunAttemptRecord> StartAttemptAsync(string runId, CancellationToken cancellationToken = default) =>
        StartAttemptAsync(runId, null, cancellationToken);

    /// <summary>
    /// Starts the next attempt of a run (1 for the first) held by <paramref name="holderId"/>: the run becomes
    /// <see cref="RunStatus.Running"/>. The holder is checked in the same write: a server that checked its fence, then was
    /// stopped or slowed while another took its runs back, would otherwise mark a run running that the new holder queued
    /// again (or left for another to adopt), and no one would ever run or end it.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="holderId">The server that runs the attempt; null starts it whoever holds the run.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunNoLongerHeld"/> when the run is not held by
    /// <paramref name="holderId"/> or has ended; <see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task<RunAttemptRecord> StartAttemptAsync(string runId, string? holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        string now = _db.Now();
        // Durable: the attempt goes on to write the lake, and its commits name this run (their txn), so the run must
        // outlive an OS crash; syncing this commit syncs the run's queueing before it too.
        int started = await _db.WriteAsync(
            (connection, transaction) =>
            {
                (string, object?)[] parameters = [("@run", runId), ("@now", now), ("@status", FormatStatus(RunStatus.Running)), ("@queued", FormatStatus(RunStatus.Queued)), ("@holder", holderId)];
                // The run's start is its first attempt's; a retry keeps it.
                int updated = Execute(connection, transaction,
                    "UPDATE runs SET status = @status, started_at = CASE WHEN status = @queued THEN @now ELSE started_at END, finished_at = NULL, error = NULL WHERE id = @run"
                    + (holderId is null ? string.Empty : " AND holder = @holder AND status IN (@queued, @status)"),
                    parameters);
                if (updated == 0)
                {
                    return 0;
                }

                Execute(connection, transaction,
                    $"""
                     INSERT INTO run_attempts ({AttemptColumns})
                     SELECT @run, COALESCE(MAX(attempt), 0) + 1, @now, NULL, @status, NULL, 0 FROM run_attempts WHERE run_id = @run
                     """,
                    parameters);
                return updated;
            },
            durable: true,
            nameof(StartAttemptAsync),
            cancellationToken).ConfigureAwait(false);
        if (started == 0)
        {
            RunRecord run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw RunNotFound(runId);
            throw new MedallionException(ErrorCode.RunNoLongerHeld,
                $"Run {runId} is {FormatStatus(run.Status)} and held by {run.Holder ?? "no server"} now, not by {holderId}: its attempt was not started by the server that lost it.");
        }

        List<RunAttemptRecord> attempts = await GetAttemptsAsync(runId, cancellationToken).ConfigureAwait(false);
        return attempts[^1];
    }

    /// <summary>
    /// Records how an attempt ended (the run's own status is set by <see cref="FinishRunAsync(string, RunStatus, string?, string?, CancellationToken)"/>),
    /// unless it has ended already: a server that took the run back ended the attempt interrupted, and the server that
    /// lost it, resuming past its fence, must not rewrite that history with its own end (its run's end is then refused).
    /// </summary>
    public Task FinishAttemptAsync(string runId, int attempt, RunStatus status, string? error, bool transient, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return _db.ExecuteAsync(
            "UPDATE run_attempts SET finished_at = @now, status = @status, error = @error, transient = @transient WHERE run_id = @run AND attempt = @attempt AND finished_at IS NULL",
            [("@run", runId), ("@attempt", attempt), ("@now", _db.Now()), ("@status", FormatStatus(status)), ("@error", error), ("@transient", transient ? 1 : 0)],
            cancellationToken);
    }

    /// <summary>The attempts of a run, first to last.</summary>
    public Task<List<RunAttemptRecord>> GetAttemptsAsync(string runId, CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {AttemptColumns} FROM run_attempts WHERE run_id = @run ORDER BY attempt", [("@run", runId)], ReadAttempt, cancellationToken);

    /// <summary>Appends a log line to a run, logged now; lines are numbered in the order they arrive.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="model">The model or source table the line is about; null for the run itself.</param>
    /// <param name="level">info, warning or error.</param>
    /// <param name="message">The line.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task AppendRunLogAsync(string runId, TableName? model, string level, string message, CancellationToken cancellationToken = default) =>
        AppendRunLogAsync(runId, [new RunLogEntry(_db.Time.GetUtcNow(), model, level, message)], cancellationToken);

    /// <summary>Appends log lines to a run in one transaction, numbered in order after the lines it has.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="lines">The lines, in order, each with the time it was logged.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task AppendRunLogAsync(string runId, IReadOnlyList<RunLogEntry> lines, CancellationToken cancellationToken = default) =>
        AppendRunLogsAsync([(runId, lines)], cancellationToken);

    /// <summary>
    /// Appends log lines to several runs in one write (a scheduler queuing or admitting many runs at once, a worker
    /// claiming them), each run's numbered in order after the lines it has.
    /// </summary>
    /// <param name="logs">Each run and its lines, in order, each with the time it was logged.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task AppendRunLogsAsync(IReadOnlyCollection<(string RunId, IReadOnlyList<RunLogEntry> Lines)> logs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        foreach ((string runId, IReadOnlyList<RunLogEntry> lines) in logs)
        {
            ArgumentException.ThrowIfNullOrEmpty(runId, nameof(logs));
            ArgumentNullException.ThrowIfNull(lines, nameof(logs));
            foreach (RunLogEntry line in lines)
            {
                ArgumentException.ThrowIfNullOrEmpty(line.Level, nameof(logs));
                ArgumentNullException.ThrowIfNull(line.Message, nameof(logs));
            }
        }

        return _db.ExecuteInTransactionAsync(RunLogInserts(logs), cancellationToken);
    }

    /// <summary>The statements that append <paramref name="logs"/>, each run's lines numbered in order after the lines it has.</summary>
    private static List<(string Sql, (string Name, object? Value)[] Parameters)> RunLogInserts(IReadOnlyCollection<(string RunId, IReadOnlyList<RunLogEntry> Lines)> logs)
    {
        // Few statements, not one a line: a scheduler admitting a hundred runs waits for this write before its workers hear
        // of them. Each line's number counts on from its run's last as the statement found it, so a run's lines go
        // together into one statement.
        var statements = new List<(string, (string, object?)[])>();
        var values = new StringBuilder();
        var parameters = new List<(string, object?)>();
        int lineCount = 0;
        // A run named twice would number two lines alike: its lines are taken together, in order.
        foreach ((string runId, List<RunLogEntry> lines) in logs.GroupBy(l => l.RunId, StringComparer.Ordinal).Select(g => (g.Key, g.SelectMany(l => l.Lines).ToList())))
        {
            string run = "@r" + statements.Count.ToString(CultureInfo.InvariantCulture) + "_" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameters.Add((run, runId));
            for (int i = 0; i < lines.Count; i++)
            {
                string p = "@p" + parameters.Count.ToString(CultureInfo.InvariantCulture);
                values.Append(values.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture,
                    $"({run}, (SELECT COALESCE(MAX(seq), 0) FROM run_logs WHERE run_id = {run}) + {i + 1}, {p}a, {p}m, {p}l, {p}t)");
                parameters.Add((p + "a", FormatTime(lines[i].LoggedAt)));
                parameters.Add((p + "m", lines[i].Model?.ToString().ToLowerInvariant()));
                parameters.Add((p + "l", lines[i].Level));
                parameters.Add((p + "t", lines[i].Message));
            }

            lineCount += lines.Count;
            if (lineCount >= LogLinesPerStatement)
            {
                Flush();
            }
        }

        Flush();
        return statements;

        void Flush()
        {
            if (values.Length > 0)
            {
                statements.Add(($"INSERT INTO run_logs (run_id, seq, logged_at, model, level, message) VALUES {values}", [.. parameters]));
            }

            values.Clear();
            parameters.Clear();
            lineCount = 0;
        }
    }

    // Five parameters a line: well under SQLite's 32,766 and PostgreSQL's 65,535 a statement.
    private const int LogLinesPerStatement = 1000;

    /// <summary>The log lines of a run after line <paramref name="afterSequence"/>, at most <paramref name="limit"/>, in order.</summary>
    public Task<List<RunLogLine>> GetRunLogAsync(string runId, long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _db.QueryAsync(
            "SELECT seq, logged_at, model, level, message FROM run_logs WHERE run_id = @run AND seq > @after ORDER BY seq LIMIT @limit",
            [("@run", runId), ("@after", afterSequence), ("@limit", limit)],
            r => new RunLogLine(r.GetInt64(0), ParseTime(r.GetString(1)), r.IsDBNull(2) ? null : TableName.Parse(r.GetString(2)), r.GetString(3), r.GetString(4)),
            cancellationToken);
    }

    /// <summary>
    /// A page of runs, newest first, filtered by job, status and start time. Pages are keyset pages on the run id (ids are
    /// time-ordered), so a page costs the same however deep it is and runs recorded meanwhile do not shift it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RunQuery.Limit"/> is not between 1 and 1000.</exception>
    public async Task<RunPage> QueryRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, 1000, nameof(query));
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("@limit", query.Limit + 1) };
        void Filter(string condition, string name, object? value)
        {
            where.Add(condition);
            parameters.Add((name, value));
        }

        if (query.Job is { } job)
        {
            Filter("job = @job", "@job", job);
        }

        if (query.Status is { } status)
        {
            Filter("status = @status", "@status", FormatStatus(status));
        }

        if (query.Parent is { } parent)
        {
            Filter("parent_id = @parent", "@parent", parent);
        }

        if (query.Environment is { } environment)
        {
            Filter("environment = @environment", "@environment", environment);
        }

        if (query.StartedFrom is { } from)
        {
            Filter("started_at >= @from", "@from", FormatTime(from));
        }

        if (query.StartedBefore is { } before)
        {
            Filter("started_at < @before", "@before", FormatTime(before));
        }

        if (query.Cursor is { } cursor)
        {
            Filter("id < @cursor", "@cursor", cursor);
        }

        var sql = new StringBuilder($"SELECT {RunColumns} FROM runs");
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }

        sql.Append(" ORDER BY id DESC LIMIT @limit");
        List<RunRecord> runs = await _db.QueryAsync(sql.ToString(), [.. parameters], ReadRun, cancellationToken).ConfigureAwait(false);
        bool more = runs.Count > query.Limit;
        if (more)
        {
            runs.RemoveAt(runs.Count - 1);
        }

        return new RunPage(runs, more ? runs[^1].Id : null);
    }

    /// <summary>A run with its attempts and model outcomes, or null when no run has that id.</summary>
    public async Task<RunDetail?> GetRunDetailAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        if (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return null;
        }

        return new RunDetail(
            run,
            await GetAttemptsAsync(runId, cancellationToken).ConfigureAwait(false),
            await GetModelRunsAsync(runId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The runs of a job whose data interval ends in [<paramref name="fromInclusive"/>, <paramref name="toInclusive"/>], oldest interval first, newest run first within one interval.</summary>
    public Task<List<RunRecord>> GetIntervalRunsAsync(string job, DateTimeOffset fromInclusive, DateTimeOffset toInclusive, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        return _db.QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE job = @job AND interval_end >= @from AND interval_end <= @to ORDER BY interval_end, id DESC",
            [("@job", job), ("@from", FormatTime(fromInclusive)), ("@to", FormatTime(toInclusive))],
            ReadRun,
            cancellationToken);
    }

    /// <summary>The latest fire time a scheduler planned for the job (the end of its newest scheduled interval), or null.</summary>
    public async Task<DateTimeOffset?> GetLastScheduledFireTimeAsync(string job, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        List<string?> ends = await _db.QueryAsync(
            "SELECT MAX(interval_end) FROM runs WHERE job = @job AND trigger = @trigger",
            [("@job", job), ("@trigger", FormatTrigger(RunTrigger.Schedule))],
            r => GetNullableString(r, 0),
            cancellationToken).ConfigureAwait(false);
        return ends[0] is { } end ? ParseTime(end) : null;
    }

    /// <summary>
    /// After a scheduler took the lease: runs that another holder left <see cref="RunStatus.Running"/> become
    /// <see cref="RunStatus.Interrupted"/> (their running attempt too), and runs it left <see cref="RunStatus.Queued"/>
    /// pass to <paramref name="holderId"/>, as do admitted runs no worker claimed yet (to be admitted again). Runs outside
    /// schedulers (no holder) are not touched, nor admitted runs of servers that reported themselves at or after
    /// <paramref name="liveSince"/>: a worker goes on with them (see <see cref="GetRunsOfLiveServersAsync"/>).
    /// </summary>
    /// <param name="holderId">The scheduler that took the lease.</param>
    /// <param name="liveSince">Workers that reported themselves at or after this are alive.</param>
    /// <param name="retry">
    /// Whether an interrupted run, with how many attempts it has, is retried: it is then queued again for
    /// <paramref name="holderId"/> in the same transaction (never seen ended), its interrupted attempt kept. Null: none is.
    /// </param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The runs that were interrupted (or queued again), or adopted, as they are now.</returns>
    public async Task<List<RunRecord>> RecoverRunsAsync(string holderId, DateTimeOffset liveSince, Func<RunRecord, int, bool>? retry = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        (string, object?)[] parameters =
        [
            ("@holder", holderId), ("@running", FormatStatus(RunStatus.Running)), ("@queued", FormatStatus(RunStatus.Queued)), ("@live", FormatTime(liveSince)),
        ];
        List<RunRecord> left = await _db.QueryAsync(
            $"""
             SELECT {RunColumns} FROM runs
             WHERE status IN (@running, @queued)
               AND ((holder IS NOT NULL AND holder <> @holder AND NOT ({Admitted} AND {HeldByLive})) OR (holder IS NULL AND {Admitted}))
             ORDER BY id
             """,
            parameters,
            ReadRun,
            cancellationToken).ConfigureAwait(false);
        if (left.Count == 0)
        {
            return left;
        }

        string now = _db.Now();
        await _db.WriteAsync((connection, transaction) =>
        {
            foreach (RunRecord run in left)
            {
                if (run.Status == RunStatus.Running)
                {
                    InterruptRun(connection, transaction, run, holderId, now, "interrupted: the scheduler running it stopped before it finished", retry);
                }
                else
                {
                    Execute(connection, transaction, "UPDATE runs SET holder = @holder, admitted_at = NULL, writes = NULL WHERE id = @id", ("@id", run.Id), ("@holder", holderId));
                }
            }

            return left.Count;
        }, cancellationToken).ConfigureAwait(false);
        var recovered = new List<RunRecord>();
        foreach (RunRecord run in left)
        {
            recovered.Add((await GetRunAsync(run.Id, cancellationToken).ConfigureAwait(false))!);
        }

        return recovered;
    }

    /// <summary>
    /// Takes the queued runs that no scheduler owns (queued by a server on standby, or by a trigger of the REST API of a
    /// server that does not run the jobs) for <paramref name="holderId"/>, which runs the jobs; oldest first.
    /// </summary>
    /// <returns>The runs now held by <paramref name="holderId"/>; none when no run waits unowned.</returns>
    public async Task<List<RunRecord>> AdoptQueuedRunsAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        (string, object?)[] unowned = [("@queued", FormatStatus(RunStatus.Queued))];
        const string Unowned = "WHERE status = @queued AND holder IS NULL AND admitted_at IS NULL";
        // Read first: a pass of the scheduler asks every second, and most of the time nothing waits.
        if ((await _db.QueryAsync("SELECT 1 FROM runs " + Unowned + " LIMIT 1", unowned, r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return [];
        }

        var adopted = new List<RunRecord>();
        await _db.WriteAsync((connection, transaction) =>
        {
            adopted.Clear();
            using (DbCommand select = CreateCommand(connection, transaction, $"SELECT {RunColumns} FROM runs {Unowned} ORDER BY id", unowned))
            using (DbDataReader reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    adopted.Add(ReadRun(reader) with { Holder = holderId });
                }
            }

            Execute(connection, transaction, "UPDATE runs SET holder = @holder " + Unowned, [.. unowned, ("@holder", holderId)]);
            return adopted.Count;
        }, cancellationToken).ConfigureAwait(false);
        return adopted;
    }

    /// <summary>
    /// Asks the scheduler running a queued or running run to cancel it (from a server that does not run it); that
    /// scheduler carries it out at its next pass (see <see cref="GetCancelRequestsAsync"/>).
    /// </summary>
    /// <returns>False when the run is not queued or running.</returns>
    public async Task<bool> RequestCancelAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        int asked = await _db.ExecuteAsync(
            "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, @now) WHERE id = @id AND status IN (@queued, @running)",
            [("@id", runId), ("@now", _db.Now()), ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running))],
            cancellationToken).ConfigureAwait(false);
        return asked > 0;
    }

    /// <summary>How many runs of each job are queued and how many are running.</summary>
    public async Task<Dictionary<(string Job, RunStatus Status), int>> CountOpenRunsAsync(CancellationToken cancellationToken = default)
    {
        List<(string Job, RunStatus Status, int Count)> counts = await _db.QueryAsync(
            "SELECT job, status, count(*) FROM runs WHERE status IN (@queued, @running) AND job IS NOT NULL GROUP BY job, status",
            [("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running))],
            r => (r.GetString(0), ParseStatus(r.GetString(1)), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture)),
            cancellationToken).ConfigureAwait(false);
        return counts.ToDictionary(c => (c.Job, c.Status), c => c.Count);
    }

    /// <summary>
    /// The ids of the queued and running runs held by <paramref name="holderId"/> that another server asked to cancel, and
    /// of the admitted runs no worker claimed yet that were asked to (the scheduler that admitted them ends them).
    /// </summary>
    public Task<List<string>> GetCancelRequestsAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        return _db.QueryAsync(
            "SELECT id FROM runs WHERE status IN (@queued, @running) AND (holder = @holder OR (holder IS NULL AND admitted_at IS NOT NULL)) AND cancel_requested_at IS NOT NULL ORDER BY id",
            [("@holder", holderId), ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running))],
            r => r.GetString(0),
            cancellationToken);
    }

    internal static string FormatTrigger(RunTrigger trigger) => trigger.ToString().ToLowerInvariant();

    internal static string? FormatNullableTime(DateTimeOffset? time) => time is { } t ? FormatTime(t) : null;

    private static RunAttemptRecord ReadAttempt(DbDataReader r) => new(
        r.GetString(0),
        (int)r.GetInt64(1),
        ParseTime(r.GetString(2)),
        r.IsDBNull(3) ? null : ParseTime(r.GetString(3)),
        ParseStatus(r.GetString(4)),
        GetNullableString(r, 5),
        r.GetInt64(6) != 0);

    // Runs pruned per write: one write holds the catalog's one writer, and runs wait for it.
    private const int PruneBatch = 2000;

    /// <summary>
    /// The finished runs that started before the cutoff and that nothing needs: a run that is running or queued stays, and
    /// so do the latest run of each job (and of manual runs), the newest scheduled interval of each job (the scheduler
    /// plans the next fire time from it), the newest run of each model and its newest success (an incremental model
    /// resumes from its upstream versions), the newest pass into each source table, and the runs of a backfill still going.
    /// </summary>
    private const string PrunableRuns = """
        SELECT id FROM runs
        WHERE started_at < @before AND status NOT IN ('running', 'queued')
          AND id NOT IN (SELECT max(id) FROM runs GROUP BY job)
          AND id NOT IN (SELECT r.id FROM runs r JOIN (SELECT job, max(interval_end) AS last_end FROM runs WHERE trigger = 'schedule' GROUP BY job) s
                         ON s.job = r.job AND r.interval_end = s.last_end AND r.trigger = 'schedule')
          AND id NOT IN (SELECT max(run_id) FROM model_runs GROUP BY model)
          AND id NOT IN (SELECT max(run_id) FROM model_runs WHERE status = 'succeeded' GROUP BY model)
          AND id NOT IN (SELECT max(run_id) FROM source_runs GROUP BY target)
          AND id NOT IN (SELECT max(run_id) FROM source_runs WHERE position IS NOT NULL GROUP BY target)
          AND (backfill_id IS NULL OR backfill_id NOT IN (SELECT id FROM backfills WHERE finished_at IS NULL))
        ORDER BY id
        """;

    /// <summary>
    /// Prunes the run history, as <c>airflow db clean</c> does: the finished runs that started before
    /// <paramref name="before"/>, with their models, source passes, attempts, logs and quality results, the catalog's
    /// records of the table versions they committed (never a table's latest), and the finished backfills left with no
    /// run. Runs that are running or queued, the latest run of each job, and the last runs that built each model or fed
    /// each source table stay whatever their age (see the remarks). The freed pages go back to the disk.
    /// </summary>
    /// <remarks>
    /// Kept runs: what the scheduler plans from (the newest run and scheduled interval of each job), what <c>rerun</c>
    /// and <c>describe</c> show, what an incremental model resumes from (its newest success), what <c>/metrics</c>
    /// reports per source table, and the runs of a backfill that has not finished. The table data those runs wrote is
    /// not touched. Deletes go in batches, so runs writing meanwhile wait at most for one batch.
    /// </remarks>
    /// <param name="before">Runs that started before this instant may go.</param>
    /// <param name="dryRun">Count what would go and change nothing.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    public async Task<RunPruning> PruneRunsAsync(DateTimeOffset before, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var total = new RunPruning(before, dryRun, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        long? sizeBefore = _db.Dialect.SizeBytes();
        if (dryRun)
        {
            try
            {
                using DbConnection connection = await _db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                using DbTransaction snapshot = _db.Dialect.BeginSnapshot(connection);
                return Add(total, PruneBatchOf(_db.Dialect, connection, snapshot, before, int.MaxValue, delete: false));
            }
            catch (DbException e)
            {
                throw _db.Dialect.Translate(e, writing: false);
            }
        }

        while (true)
        {
            RunPruning batch = null!;
            await _db.WriteAsync((connection, transaction) =>
            {
                batch = PruneBatchOf(_db.Dialect, connection, transaction, before, PruneBatch, delete: true);
                return batch.Runs;
            }, cancellationToken).ConfigureAwait(false);
            total = Add(total, batch) with { KeptRuns = batch.KeptRuns };
            if (batch.Runs < PruneBatch)
            {
                break;
            }
        }

        if (total.Runs == 0)
        {
            return total;
        }

        await ReclaimSpaceAsync(cancellationToken).ConfigureAwait(false);
        return total with { BytesFreed = sizeBefore is long size && _db.Dialect.SizeBytes() is long after ? Math.Max(0, size - after) : null };
    }

    private static RunPruning Add(RunPruning total, RunPruning batch) => total with
    {
        Runs = total.Runs + batch.Runs,
        ModelRuns = total.ModelRuns + batch.ModelRuns,
        SourceRuns = total.SourceRuns + batch.SourceRuns,
        Attempts = total.Attempts + batch.Attempts,
        Logs = total.Logs + batch.Logs,
        QualityResults = total.QualityResults + batch.QualityResults,
        TableVersions = total.TableVersions + batch.TableVersions,
        Backfills = total.Backfills + batch.Backfills,
        KeptRuns = batch.KeptRuns,
    };

    /// <summary>Counts (and deletes, unless told not to) up to <paramref name="limit"/> prunable runs and what belongs to them, in the caller's transaction.</summary>
    private static RunPruning PruneBatchOf(CatalogDialect dialect, DbConnection connection, DbTransaction transaction, DateTimeOffset before, int limit, bool delete)
    {
        (string, object?)[] cutoff = [("@before", FormatTime(before))];
        var ids = new List<string>();
        using (DbCommand select = CreateCommand(connection, transaction, PrunableRuns + " LIMIT @limit", [.. cutoff, ("@limit", limit)]))
        using (DbDataReader reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        // The ids travel as one JSON array parameter, not as thousands of parameters.
        (string, object?)[] set = [("@ids", CatalogJson.WriteStrings(ids))];
        string inSet = $"IN ({dialect.JsonTextSet("@ids")})";
        // A table version's record goes with its run unless it is the table's latest.
        string prunableVersions = $"""
            FROM table_versions WHERE run_id {inSet}
              AND version < (SELECT max(v.version) FROM table_versions v WHERE v.namespace = table_versions.namespace AND v.table_name = table_versions.table_name AND v.location = table_versions.location)
            """;
        int Count(string from) => Convert.ToInt32(Scalar(connection, transaction, "SELECT count(*) " + from, set), CultureInfo.InvariantCulture);
        var batch = new RunPruning(before, !delete,
            ids.Count,
            Count($"FROM model_runs WHERE run_id {inSet}"),
            Count($"FROM source_runs WHERE run_id {inSet}"),
            Count($"FROM run_attempts WHERE run_id {inSet}"),
            Count($"FROM run_logs WHERE run_id {inSet}"),
            Count($"FROM quality_results WHERE run_id {inSet}"),
            Count(prunableVersions),
            0,
            0,
            0);
        // Finished backfills older than the cutoff whose every run is (or would be) gone.
        string emptyBackfills = $"""
            FROM backfills WHERE finished_at IS NOT NULL AND created_at < @before
              AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.backfill_id = backfills.id AND runs.id NOT {inSet})
            """;
        int keptRuns = Convert.ToInt32(Scalar(connection, transaction,
            "SELECT count(*) FROM runs WHERE started_at < @before AND id NOT IN (" + PrunableRuns + ")", cutoff), CultureInfo.InvariantCulture);
        batch = batch with
        {
            Backfills = Convert.ToInt32(Scalar(connection, transaction, "SELECT count(*) " + emptyBackfills, [.. cutoff, .. set]), CultureInfo.InvariantCulture),
            KeptRuns = keptRuns,
        };
        if (delete && ids.Count > 0)
        {
            // Model runs, source runs, attempts and logs go with their run (ON DELETE CASCADE); the rest name it by id only.
            Execute(connection, transaction, "DELETE " + prunableVersions, set);
            Execute(connection, transaction, $"DELETE FROM quality_results WHERE run_id {inSet}", set);
            Execute(connection, transaction, "DELETE " + emptyBackfills, [.. cutoff, .. set]);
            Execute(connection, transaction, $"DELETE FROM runs WHERE id {inSet}", set);
        }

        return batch;
    }

    private static object? Scalar(DbConnection connection, DbTransaction transaction, string sql, (string Name, object? Value)[] parameters)
    {
        using DbCommand command = CreateCommand(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>Gives the catalog's free space back to the disk (see <see cref="CatalogDialect.ReclaimSpaceAsync"/>).</summary>
    private async Task ReclaimSpaceAsync(CancellationToken cancellationToken)
    {
        try
        {
            using DbConnection connection = await _db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await _db.Dialect.ReclaimSpaceAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw _db.Dialect.Translate(e, writing: true);
        }
    }
}
