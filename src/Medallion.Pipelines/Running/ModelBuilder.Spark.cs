using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Snapshots;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Engine.Sessions;
using Medallion.Pipelines.Quality;
using Medallion.Spark;

namespace Medallion.Pipelines.Running;

/// <summary>
/// A model on Spark: its SQL (Spark SQL) runs on the cluster of its <c>spark_connect</c> connection and writes the
/// model's Delta table there (<c>CREATE OR REPLACE TABLE</c>, <c>INSERT INTO</c> or <c>MERGE INTO</c>, see
/// <see cref="SparkModelSql"/>), reading each upstream table at the version this run pinned, or only the rows it
/// gained since the last run's, so incremental runs read what a DuckDB build would. Medallion then reads the version
/// Spark committed from the log and treats it as its own: expectations on its rows (quarantined rows moved out by a
/// commit of Medallion's, a broken fail rule restoring the table to the version before), and the catalog's record
/// through <see cref="CommitRecorder"/>.
/// </summary>
internal sealed partial class ModelBuilder
{
    /// <summary>The engine this build runs on: the run's (a job's <c>engine:</c>), else the model's own.</summary>
    private EngineChoice? Engine => _run.Options.Engine ?? Config.Engine;

    private bool OnSpark => Engine?.Engine == ModelEngine.Spark;

    private async Task<StepResult> BuildOnSparkAsync(UpstreamPlanner planner, IReadOnlyList<TableName> upstream, Snapshot? target, ModelRunRecord? last, bool incremental, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        SparkConnectRemote remote = SparkRemote();
        if (!remote.IsLoopback && !_location.Contains("://", StringComparison.Ordinal))
        {
            throw new MedallionException(
                ErrorCode.SparkModelInvalid,
                $"{_model.FilePath}: model {_model.Name} runs on Spark at {remote.Host}, but its table lives at the local path '{_location}', which the cluster cannot reach; nothing was run.\nHelp: keep the lake on object storage (storage: s3://..., az://..., gs://...) that both Medallion and the cluster reach.",
                location: Engine!.Location);
        }

        Dictionary<TableName, string>? relations = incremental ? await SparkChangesAsync(planner, upstream, last!, cancellationToken).ConfigureAwait(false) : null;
        incremental = relations is not null;
        if (incremental && upstream.Count > 0 && upstream.All(t => planner.Versions[UpstreamPlanner.Key(t)] == last!.UpstreamVersions[UpstreamPlanner.Key(t)]))
        {
            // As a DuckDB build writes no rows then, Spark is not asked to write none (which would commit an empty version).
            _notes.Add("nothing new upstream since the last run; nothing sent to Spark");
            return await FinishAsync(null, incremental, planner, elapsed).ConfigureAwait(false);
        }

        // As a DuckDB build's commit, Spark's carries the run's txn (Delta's idempotent DML settings), so a later run
        // sees a commit the catalog never recorded and a retried attempt of this run does not write twice.
        long? attempt = RunTransactionVersion(_run.RunId);
        long? committed = target is not null && target.TransactionVersions.TryGetValue(RunTransaction, out long carried) ? carried : null;
        if (attempt is not null && committed == attempt)
        {
            _notes.Add($"already committed by an earlier attempt of run {_run.RunId}; not written again");
            return await FinishAsync(null, incremental, planner, elapsed).ConfigureAwait(false);
        }

        Dictionary<string, string> settings = attempt is long number && !(committed > number)
            ? new() { [TxnAppIdSetting] = RunTransaction, [TxnVersionSetting] = number.ToString(CultureInfo.InvariantCulture) }
            : [];
        string statement = "";
        await RunOnSparkAsync(remote, async client =>
        {
            string select = await SparkSelectAsync(relations ?? FullSparkRelations(planner, upstream), cancellationToken).ConfigureAwait(false);
            bool mergeIncrementally = incremental && Config.Materialized == Materialization.Merge;
            // Spark analyses the SELECT without running it, as DuckDB describes it for a DuckDB build, and the result is
            // held to the same rules: its materialization's columns, the contract, new columns.
            IReadOnlyList<SparkField> fields = await client.SchemaAsync(select, cancellationToken).ConfigureAwait(false);
            ValidateColumns([.. fields.Select(f => f.Name)], target);
            if (Config.Contract is { Enforced: true })
            {
                await EnforceContractAsync(await SparkColumnsAsync(fields, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }

            if (mergeIncrementally && NewColumns(target!, [.. fields.Select(f => f.Name)]) is { Count: > 0 } added)
            {
                // A merge rewrites matched rows only, so a new column would stay null on every other row: rebuild instead.
                _notes.Add($"full recompute: the result has new columns ({string.Join(", ", added)})");
                incremental = false;
                select = await SparkSelectAsync(FullSparkRelations(planner, upstream), cancellationToken).ConfigureAwait(false);
            }

            // The model's own columns, without the change columns it reads from a change data feed; null: all of them.
            List<string>? tableColumns = fields.Any(f => IsChangeColumn(f.Name)) ? [.. fields.Select(f => f.Name).Where(c => !IsChangeColumn(c))] : null;

            await ValidateSparkKeysAsync(client, select, cancellationToken).ConfigureAwait(false);
            string location = SparkPath(_location);
            statement = (Config.Materialized, incremental) switch
            {
                (Materialization.Append, true) => SparkModelSql.InsertInto(location, select),
                (Materialization.Merge, true) => SparkModelSql.MergeInto(location, select, Config, tableColumns),
                (Materialization.Scd2, _) when target is not null && !_run.Options.FullRefresh =>
                    SparkModelSql.MergeHistory(location, target.Version, select, Config, target.Schema, _run.StartedAt),
                _ => SparkModelSql.CreateOrReplace(location, select, Config, _run.StartedAt, tableColumns),
            };
            if (settings.Count > 0)
            {
                await client.SetConfigAsync(settings, cancellationToken).ConfigureAwait(false);
            }

            await client.CommandAsync(statement, new SparkQueryOptions { Tags = ["medallion-run-" + _run.RunId] }, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        Snapshot? latest = await _writer.TryGetSnapshotAsync(_location, CancellationToken.None).ConfigureAwait(false);
        if (target is not null && !statement.StartsWith("CREATE OR REPLACE TABLE ", StringComparison.Ordinal) && latest?.Version == target.Version)
        {
            // Delta may commit no version for a MERGE or INSERT that changes nothing; a replace always commits one.
            _notes.Add("Spark committed no version: nothing to write");
            return await FinishAsync(null, incremental, planner, elapsed).ConfigureAwait(false);
        }

        Snapshot written = latest is not null && latest.Version > (target?.Version ?? -1)
            ? latest
            : throw new MedallionException(
                ErrorCode.SparkWriteMissing,
                $"{_model.FilePath}: Spark reported model {_model.Name}'s write done, but its table at '{_location}' has no version after {target?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}.\nHelp: check that the connection's cluster writes where Medallion reads (the same storage, not a copy), and that no one restored the table meanwhile.",
                location: Engine!.Location);
        _notes.Add(string.Create(CultureInfo.InvariantCulture, $"written by Spark at {remote.Host} as version {written.Version} ({written.CommitInfo?.Operation ?? "a write"})"));
        return await CheckSparkVersionAsync(written, target, incremental, planner, elapsed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses, before anything is written, a result a merge or scd2 table cannot hold, as a DuckDB build does: rows with a
    /// null unique key, or a key on several rows. Spark's MERGE fails on some repeats only (several source rows matching
    /// one target row), and a first build or a rebuild (CREATE OR REPLACE) would write them all.
    /// </summary>
    private async Task ValidateSparkKeysAsync(SparkConnectClient client, string select, CancellationToken cancellationToken)
    {
        if (Config.Materialized is not (Materialization.Merge or Materialization.Scd2))
        {
            return;
        }

        string keys = string.Join(", ", Config.UniqueKey.Select(SparkModelSql.Quote));
        string nullKey = string.Join(" OR ", Config.UniqueKey.Select(k => SparkModelSql.Quote(k) + " IS NULL"));
        // As on DuckDB, a SELECT that itself keeps one row per key (a GROUP BY of the key, say) is not grouped again.
        string repeated = await KeysProvenUniqueAsync(cancellationToken).ConfigureAwait(false)
            ? "0"
            : $"(SELECT count(*) FROM (SELECT {keys} FROM ({select}) AS result GROUP BY {keys} HAVING count(*) > 1) AS repeats)";
        SparkResult counts = await client.SqlAsync(
            $"SELECT (SELECT count_if({nullKey}) FROM ({select}) AS result) AS null_keys, {repeated} AS repeated_keys",
            new SparkQueryOptions { Tags = ["medallion-run-" + _run.RunId] }, cancellationToken).ConfigureAwait(false);
        RefuseInvalidKeys(Convert.ToInt64(counts.Rows[0][0], CultureInfo.InvariantCulture), Convert.ToInt64(counts.Rows[0][1], CultureInfo.InvariantCulture));
    }

    /// <summary>Delta's session setting naming the application a DML statement's <c>txn</c> action records.</summary>
    internal const string TxnAppIdSetting = "spark.databricks.delta.write.txnAppId";

    /// <summary>Delta's session setting with the version the <c>txn</c> action records; a version already committed for the application is not written again.</summary>
    internal const string TxnVersionSetting = "spark.databricks.delta.write.txnVersion";

    /// <summary>A table's location as Spark opens it (<see cref="StorageResolver.ToSparkUri"/>): every location written into the Spark SQL goes through here.</summary>
    private string SparkPath(string location) => _run.Project.Stores.ToSparkUri(location);

    /// <summary>The remote of the build's <c>spark_connect</c> connection (checked when the project loaded).</summary>
    private SparkConnectRemote SparkRemote()
    {
        string name = Engine!.SparkConnection!;
        return _run.Project.Connections.TryGetValue(name, out ConnectionDefinition? connection) && connection.Settings.TryGetValue("remote", out string? remote)
            ? SparkConnectRemote.Parse(remote)
            : throw new MedallionException(ErrorCode.SparkModelInvalid, $"{_model.FilePath}: model {_model.Name} runs on Spark connection '{name}', which the project no longer defines.", location: Engine.Location);
    }

    /// <summary>
    /// Each upstream as the rows it gained since the version the last run read, as Spark reads them; null (with a note)
    /// when one cannot be read that way, for the same reasons a DuckDB build falls back (<see cref="UpstreamPlanner.ChangesSinceAsync"/>).
    /// </summary>
    private async Task<Dictionary<TableName, string>?> SparkChangesAsync(UpstreamPlanner planner, IReadOnlyList<TableName> upstream, ModelRunRecord last, CancellationToken cancellationToken)
    {
        var relations = new Dictionary<TableName, string>();
        foreach (TableName name in upstream)
        {
            if (!last.UpstreamVersions.TryGetValue(UpstreamPlanner.Key(name), out long consumed))
            {
                _notes.Add($"full recompute: {name} was not read by the last run");
                return null;
            }

            // As on DuckDB, a merge model reads an upstream's change data feed with its deletes and change columns.
            bool withDeletes = ReadsChangeColumns(planner, name);
            (UpstreamRelation? relation, string? reason) = await planner.ChangesSinceAsync(name, consumed, withDeletes, cancellationToken).ConfigureAwait(false);
            if (relation is null)
            {
                _notes.Add("full recompute: " + reason);
                return null;
            }

            string path = SparkPath(_run.Tables.Location(name));
            relations[name] = withDeletes
                ? SparkModelSql.ChangeFeed(path, consumed, relation.Version)
                : SparkModelSql.ChangesBetween(path, consumed, relation.Version);
        }

        return relations;
    }

    /// <summary>
    /// The whole of each upstream at the version the run pinned; an upstream a merge model reads through its change data
    /// feed has its rows as inserts of that version (<c>_change_type</c>, <c>_commit_version</c>), as on DuckDB.
    /// </summary>
    private Dictionary<TableName, string> FullSparkRelations(UpstreamPlanner planner, IReadOnlyList<TableName> upstream) =>
        planner.Versions.Count == 0 ? [] : upstream.ToDictionary(t => t, t => ReadsChangeColumns(planner, t)
            ? SparkModelSql.AsInserts(SparkPath(_run.Tables.Location(t)), planner.Versions[UpstreamPlanner.Key(t)])
            : SparkModelSql.TableAt(SparkPath(_run.Tables.Location(t)), planner.Versions[UpstreamPlanner.Key(t)]));

    /// <summary>Whether the model reads <paramref name="table"/> with the change data feed's columns and deletes: a merge model over an upstream that records one.</summary>
    private bool ReadsChangeColumns(UpstreamPlanner planner, TableName table) =>
        Config.Materialized == Materialization.Merge && planner.HasChangeFeed(table);

    private bool ReadsChangeColumns(UpstreamPlanner planner, IReadOnlyList<TableName> upstream) =>
        upstream.Any(t => ReadsChangeColumns(planner, t));

    /// <summary>
    /// The model's SQL as Spark runs it: each upstream table replaced in its text by <paramref name="relations"/>' Spark
    /// relation, and each <c>getvariable('name')</c> by the run's value of the variable as a Spark literal
    /// (<see cref="SparkModelSql.Literal"/>; NULL for a variable the run does not set, as DuckDB reads one).
    /// </summary>
    private async Task<string> SparkSelectAsync(Dictionary<TableName, string> relations, CancellationToken cancellationToken)
    {
        try
        {
            return await TableRedirector.ReplaceNamesAsync(
                _connection,
                _model.Sql,
                (schema, table, alias) => relations.TryGetValue(new TableName(schema, table), out string? relation) ? relation + (alias is null ? " AS " + SparkModelSql.Quote(table) : string.Empty) : null,
                name => SparkModelSql.Literal(_run.Options.Variables.TryGetValue(name, out object? value) ? value
                    : _run.Options.Variables.FirstOrDefault(v => string.Equals(v.Key, name, StringComparison.OrdinalIgnoreCase)).Value),
                cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.EngineUnsupportedStatement)
        {
            throw new MedallionException(
                ErrorCode.SparkModelInvalid,
                $"{_model.FilePath}: model {_model.Name} cannot be sent to Spark: {e.Message}\nNothing was run.",
                e,
                location: new SourceLocation(_model.FilePath));
        }
    }

    /// <summary>
    /// Opens a session on the build's cluster and runs <paramref name="session"/> in it, reporting Spark's error as the
    /// model's (nothing of it is recorded: whatever Spark did not commit does not exist). Cancelling (the model's timeout,
    /// the run's cancel) interrupts what runs on the server.
    /// </summary>
    private async Task RunOnSparkAsync(SparkConnectRemote remote, Func<SparkConnectClient, Task> session)
    {
        // A session of its own per build: its settings (the run's txn) reach this build's statement only.
        SparkConnectClient client = SparkConnectClient.Connect(remote, new SparkConnectClientOptions { LoggerFactory = _run.Logs });
        await using (client.ConfigureAwait(false))
        {
            try
            {
                await session(client).ConfigureAwait(false);
            }
            catch (SparkException e) when (e.Code == ErrorCode.SparkQueryFailed)
            {
                throw new MedallionException(
                    ErrorCode.RunModelFailed,
                    $"{_model.FilePath}: model {_model.Name} failed on Spark at {remote.Host}: {e.Message.Split("\nHelp:")[0]}\nNothing was committed to {_model.Name}.\nHelp: try the SELECT on its own in a Spark SQL session.",
                    e,
                    location: new SourceLocation(_model.FilePath));
            }
        }
    }

    /// <summary>
    /// The columns of a Spark result with their types as DuckDB names them, so a contract is checked by the comparison
    /// of a DuckDB build: each Spark type is written as the DuckDB type Medallion stores it as (<see cref="SparkColumnTypes"/>)
    /// and read by DuckDB as a declared type is; one without a DuckDB equivalent keeps Spark's name (and differs from any contract type).
    /// </summary>
    private async Task<IReadOnlyList<RelationColumn>> SparkColumnsAsync(IReadOnlyList<SparkField> fields, CancellationToken cancellationToken)
    {
        var columns = new List<RelationColumn>();
        foreach (SparkField field in fields)
        {
            string? type = SparkColumnTypes.ToDuckDb(field.TypeName) is { } duckDb
                ? (await DeclaredType.CanonicalAsync(_connection, duckDb, cancellationToken).ConfigureAwait(false)).Type
                : null;
            columns.Add(new RelationColumn(field.Name, type ?? field.TypeName));
        }

        return columns;
    }

    /// <summary>
    /// Checks the expectations on the version Spark wrote (its new rows, for an incremental build), as a DuckDB build
    /// checks its candidate: a broken fail rule restores the version before (or empties a table Spark just created) and
    /// fails the model; quarantined rows go to the quarantine table, and a commit of Medallion's takes them out of the
    /// model's table. Every version committed is recorded in the catalog.
    /// </summary>
    private async Task<StepResult> CheckSparkVersionAsync(Snapshot written, Snapshot? target, bool incremental, UpstreamPlanner planner, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        DeltaTable table = OpenTarget();
        string rows = incremental && target is not null
            ? await NewRowsAsync(table, written, target.Version, cancellationToken).ConfigureAwait(false)
            : await DeltaScanSql.BuildAsync(table, written, null, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW {CandidateTable} AS {rows}", cancellationToken).ConfigureAwait(false);
        List<string> columns = written.Schema.Fields.Select(f => f.Name).ToList();
        string operation = written.CommitInfo?.Operation ?? "WRITE";
        var sparkWrite = new DeltaOperationResult(operation, _location, written.Version, true) { RowsAffected = RowsAffected(written.CommitInfo) };

        QualityVerdict verdict;
        try
        {
            verdict = await CheckQualityAsync(CandidateTable, EstimatedColumns(columns, !incremental), incremental, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.QualityCheckFailed)
        {
            await RecordAsync(written.Version, operation).ConfigureAwait(false);
            DeltaOperationResult undone = target is not null
                ? await _writer.RestoreAsync(_location, target.Version, cancellationToken: CancellationToken.None).ConfigureAwait(false)
                : await _writer.DeleteAsync(_location, null, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(undone.Version, undone.Operation).ConfigureAwait(false);
            string how = target is not null
                ? string.Create(CultureInfo.InvariantCulture, $"version {written.Version}, written by Spark, was undone: version {undone.Version} restores version {target.Version}")
                : string.Create(CultureInfo.InvariantCulture, $"version {written.Version}, the table's first, written by Spark, was emptied by version {undone.Version}");
            throw new MedallionException(e.Code, $"{e.Message}\nOn Spark the rows are checked after Spark's commit: {how}.", e, location: e.Location);
        }

        if (verdict.QuarantineRowsSql is not { } quarantined)
        {
            return await FinishAsync(sparkWrite, incremental, planner, elapsed).ConfigureAwait(false);
        }

        // Spark's version stands until Medallion's commit takes the quarantined rows out, so it is recorded as any other.
        await RecordAsync(written.Version, operation).ConfigureAwait(false);
        await QuarantineAsync(quarantined, written, cancellationToken).ConfigureAwait(false);
        string all = await DeltaScanSql.BuildAsync(table, written, null, cancellationToken).ConfigureAwait(false);
        string names = string.Join(", ", columns.Select(Q));
        DeltaOperationResult cleaned = await _writer.WriteAsync(
            _location,
            $"SELECT {names} FROM ({all}) AS written EXCEPT ALL SELECT {names} FROM ({quarantined}) AS quarantined",
            WriteOptions(DeltaWriteMode.Overwrite),
            cancellationToken).ConfigureAwait(false);
        _notes.Add(string.Create(CultureInfo.InvariantCulture, $"version {cleaned.Version} takes the quarantined rows out of Spark's version {written.Version}"));
        return await FinishAsync(cleaned with { RowsAffected = sparkWrite.RowsAffected }, incremental, planner, elapsed).ConfigureAwait(false);
    }

    private async Task RecordAsync(long version, string operation) =>
        await CommitRecorder.RecordAsync(_run, _model.Name, _location, version, operation, await ColumnDocsAsync(CancellationToken.None).ConfigureAwait(false), _writer).ConfigureAwait(false);

    /// <summary>The rows of the table's versions after <paramref name="before"/> up to <paramref name="written"/> that are inserts or update images.</summary>
    private static async Task<string> NewRowsAsync(DeltaTable table, Snapshot written, long before, CancellationToken cancellationToken)
    {
        ChangeFeedPlan plan = await table.PlanChangesAsync(written, before + 1, cancellationToken).ConfigureAwait(false);
        LocalMirror mirror = LocalMirror.Of(table.Store);
        await mirror.FetchAsync(plan, cancellationToken).ConfigureAwait(false);
        return $"SELECT * EXCLUDE ({string.Join(", ", UpstreamPlanner.ChangeColumns)}) FROM ({DeltaScanSql.Build(plan, mirror)}) WHERE {DeltaScanSql.ChangeTypeColumn} IN ('insert', 'update_postimage')";
    }

    /// <summary>The rows a commit wrote, from its <c>operationMetrics</c> as Spark's Delta writes them; 0 when it has none.</summary>
    private static long RowsAffected(CommitInfo? commit)
    {
        if (commit is null || commit.Raw.ValueKind != JsonValueKind.Object || !commit.Raw.TryGetProperty("operationMetrics", out JsonElement metrics) || metrics.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        long Metric(string name) =>
            metrics.TryGetProperty(name, out JsonElement value) && long.TryParse(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long number) ? number : 0;
        return Metric("numOutputRows") + Metric("numTargetRowsInserted") + Metric("numTargetRowsUpdated") + Metric("numTargetRowsDeleted");
    }
}
