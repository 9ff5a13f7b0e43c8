using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

public sealed partial class CatalogStore
{
    private const string RunColumns = "id, started_at, finished_at, status, selection, error, job, trigger, interval_start, interval_end, holder, backfill_id, parent_id, variables";
    private const string SourceRunColumns = "run_id, target, pass, source, source_table, mode, rows_read, batches, position, committed_version, slot_lag_bytes, recorded_at";
    private const string ModelRunColumns = "run_id, model, status, rows_written, upstream_versions, duration_ms, error, committed_version";

    /// <summary>Records the start of a run and returns it with a new, time-ordered id.</summary>
    /// <param name="selection">The <c>--select</c> expression, or null for the whole project.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<RunRecord> StartRunAsync(string? selection, CancellationToken cancellationToken = default)
    {
        var run = new RunRecord(Guid.CreateVersion7(_time.GetUtcNow()).ToString("N"), _time.GetUtcNow(), null, RunStatus.Running, selection, null);
        await ExecuteAsync(
            "INSERT INTO runs (id, started_at, finished_at, status, selection, error) VALUES (@id, @started, NULL, @status, @selection, NULL)",
            [("@id", run.Id), ("@started", FormatTime(run.StartedAt)), ("@status", FormatStatus(run.Status)), ("@selection", selection)],
            cancellationToken).ConfigureAwait(false);
        return run;
    }

    /// <summary>Records the end of a run with its outcome.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task<RunRecord> FinishRunAsync(string runId, RunStatus status, string? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        int updated = await ExecuteAsync(
            "UPDATE runs SET finished_at = @finished, status = @status, error = @error WHERE id = @id",
            [("@id", runId), ("@finished", Now()), ("@status", FormatStatus(status)), ("@error", error)],
            cancellationToken).ConfigureAwait(false);
        if (updated == 0)
        {
            throw RunNotFound(runId);
        }

        return (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false))!;
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
        await ExecuteInTransactionAsync(
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
        List<RunRecord> runs = await QueryAsync($"SELECT {RunColumns} FROM runs WHERE id = @id", [("@id", runId)], ReadRun, cancellationToken).ConfigureAwait(false);
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
            ? QueryAsync($"SELECT {RunColumns} FROM runs WHERE status = @status ORDER BY started_at DESC, id DESC LIMIT @count OFFSET @offset",
                [("@status", FormatStatus(only)), ("@count", count), ("@offset", offset)], ReadRun, cancellationToken)
            : QueryAsync($"SELECT {RunColumns} FROM runs ORDER BY started_at DESC, id DESC LIMIT @count OFFSET @offset",
                [("@count", count), ("@offset", offset)], ReadRun, cancellationToken);
    }

    /// <summary>Records (or replaces) the outcome of one model in a run.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task RecordModelRunAsync(ModelRunRecord modelRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelRun);
        await WriteInRunAsync(modelRun.RunId, [ModelRunStatement(modelRun)], durable: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a table version a step committed, in one write: the table's registration when the catalog does not know
    /// it yet (an existing one is left as it is), the version with its schema, the table's current columns, and the
    /// step's outcome in its run when <paramref name="modelRun"/> is given.
    /// </summary>
    /// <remarks>One write rather than one each: a run waits for one commit of the catalog, not four.</remarks>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when <paramref name="modelRun"/> names no run; nothing is written then.</exception>
    public async Task RecordCommitAsync(CatalogTable table, TableVersionRecord version, IReadOnlyList<CatalogColumn> columns, ModelRunRecord? modelRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentException.ThrowIfNullOrWhiteSpace(table.Location);
        List<(string Sql, (string Name, object? Value)[] Parameters)> statements = RegistrationStatements(table, replace: false);
        statements.Add(VersionStatement(version));
        statements.AddRange(ColumnStatements(version.Table, columns));
        if (modelRun is not null)
        {
            statements.Add(ModelRunStatement(modelRun));
        }

        await WriteInRunAsync(modelRun?.RunId, statements, durable: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the statements in one write, after checking (in the same transaction) that run <paramref name="runId"/> exists, when given.</summary>
    private Task WriteInRunAsync(string? runId, List<(string Sql, (string Name, object? Value)[] Parameters)> statements, bool durable, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(
            (connection, transaction) =>
            {
                if (runId is not null)
                {
                    using SqliteCommand exists = CreateCommand(connection, transaction, "SELECT COUNT(*) FROM runs WHERE id = @id", [("@id", runId)]);
                    if ((long)exists.ExecuteScalar()! == 0)
                    {
                        throw RunNotFound(runId);
                    }
                }

                foreach ((string sql, (string Name, object? Value)[] parameters) in statements)
                {
                    using SqliteCommand command = CreateCommand(connection, transaction, sql, parameters);
                    command.ExecuteNonQuery();
                }

                return 0;
            },
            durable,
            write,
            cancellationToken);

    private static (string Sql, (string Name, object? Value)[] Parameters) ModelRunStatement(ModelRunRecord modelRun) =>
    (
        $"""
         INSERT INTO model_runs ({ModelRunColumns}) VALUES (@run, @model, @status, @rows, @upstream, @duration, @error, @version)
         ON CONFLICT (run_id, model) DO UPDATE SET status = excluded.status, rows_written = excluded.rows_written,
             upstream_versions = excluded.upstream_versions, duration_ms = excluded.duration_ms, error = excluded.error,
             committed_version = excluded.committed_version
         """,
        [
            ("@run", modelRun.RunId), ("@model", modelRun.Model.ToString().ToLowerInvariant()), ("@status", FormatStatus(modelRun.Status)),
            ("@rows", modelRun.RowsWritten), ("@upstream", CatalogJson.WriteVersions(modelRun.UpstreamVersions)),
            ("@duration", (long)modelRun.Duration.TotalMilliseconds), ("@error", modelRun.Error), ("@version", modelRun.CommittedVersion),
        ]);

    /// <summary>The models of a run, by model name.</summary>
    public Task<List<ModelRunRecord>> GetModelRunsAsync(string runId, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {ModelRunColumns} FROM model_runs WHERE run_id = @run ORDER BY model", [("@run", runId)], ReadModelRun, cancellationToken);

    /// <summary>
    /// The model's latest successful run, or null when it never succeeded. Its
    /// <see cref="ModelRunRecord.UpstreamVersions"/> tell an incremental model where to resume.
    /// </summary>
    public async Task<ModelRunRecord?> GetLastSuccessfulModelRunAsync(TableName model, CancellationToken cancellationToken = default)
    {
        List<ModelRunRecord> runs = await QueryAsync(
            $"""
             SELECT {PrefixColumns("m.", ModelRunColumns)} FROM model_runs m JOIN runs r ON r.id = m.run_id
             WHERE m.model = @model AND m.status = @status ORDER BY r.started_at DESC, r.id DESC LIMIT 1
             """,
            [("@model", model.ToString().ToLowerInvariant()), ("@status", FormatStatus(RunStatus.Succeeded))],
            ReadModelRun,
            cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <summary>
    /// The model's runs, newest first (every status): the first is what <c>medallion describe</c> shows as the
    /// last run, and <see cref="ModelRunRecord.CommittedVersion"/> tells which run wrote which table version.
    /// </summary>
    public Task<List<ModelRunRecord>> GetModelRunHistoryAsync(TableName model, int count = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return QueryAsync(
            $"""
             SELECT {PrefixColumns("m.", ModelRunColumns)} FROM model_runs m JOIN runs r ON r.id = m.run_id
             WHERE m.model = @model ORDER BY r.started_at DESC, r.id DESC LIMIT @count
             """,
            [("@model", model.ToString().ToLowerInvariant()), ("@count", count)],
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
        return QueryAsync(
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

        await ExecuteAsync(
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
        QueryAsync($"SELECT {SourceRunColumns} FROM source_runs WHERE run_id = @run ORDER BY target, pass", [("@run", runId)], ReadSourceRun, cancellationToken);

    /// <summary>
    /// The newest pass into each bronze table fed by a database source (its slot lag, position), and when a pass last
    /// reached a position: what <c>/metrics</c> reports per source table, in one query over the target index.
    /// </summary>
    public Task<List<SourceState>> GetSourceStatesAsync(CancellationToken cancellationToken = default) =>
        QueryAsync(
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

    private static MedallionException RunNotFound(string runId) =>
        new(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: check the id against the recent runs.");

    private static string FormatStatus(RunStatus status) => status.ToString().ToLowerInvariant();

    private static RunStatus ParseStatus(string text) => Enum.Parse<RunStatus>(text, ignoreCase: true);

    private static RunRecord ReadRun(SqliteDataReader r) => new(
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
    };

    private static ModelRunRecord ReadModelRun(SqliteDataReader r) => new(
        r.GetString(0),
        TableName.Parse(r.GetString(1)),
        ParseStatus(r.GetString(2)),
        GetNullableInt64(r, 3),
        CatalogJson.ReadVersions(r.GetString(4)),
        TimeSpan.FromMilliseconds(r.GetInt64(5)),
        GetNullableString(r, 6),
        GetNullableInt64(r, 7));

    private static SourceRunRecord ReadSourceRun(SqliteDataReader r) => new(
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
}
