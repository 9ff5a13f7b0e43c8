using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Pipelines.ModelSql;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    /// <summary>The SCD2 validity columns, named as dbt snapshots name theirs without the <c>dbt_</c> prefix.</summary>
    internal const string ValidFrom = "valid_from";

    /// <summary>When a version stopped being current; NULL while it is current.</summary>
    internal const string ValidTo = "valid_to";

    /// <summary>True on the one current version of each key.</summary>
    internal const string IsCurrent = "is_current";

    private static readonly string[] s_scd2Columns = [ValidFrom, ValidTo, IsCurrent];

    private static string Q(string identifier) => DuckDbConnection.QuoteIdentifier(identifier);

    /// <summary>Refuses a result its materialization cannot write: missing keys, reserved names, unknown partition columns.</summary>
    private void ValidateColumns(List<string> columns, Snapshot? target)
    {
        bool Has(string column) => columns.Contains(column, StringComparer.OrdinalIgnoreCase);
        if (Config.IntervalColumn is { } intervalColumn && !Has(intervalColumn))
        {
            throw Invalid($"interval_column names '{intervalColumn}', which the model's SELECT does not return (it returns {string.Join(", ", columns)})", "add the column to the SELECT or fix interval_column");
        }

        foreach (string partition in Config.PartitionBy.Where(p => !Has(p)))
        {
            throw Invalid($"partition_by names '{partition}', which the model's SELECT does not return (it returns {string.Join(", ", columns)})", "add the column to the SELECT or fix partition_by");
        }

        if (Config.Materialized is not (Materialization.Merge or Materialization.Scd2))
        {
            return;
        }

        foreach (string key in Config.UniqueKey.Where(k => !Has(k)))
        {
            throw Invalid($"unique_key names '{key}', which the model's SELECT does not return (it returns {string.Join(", ", columns)})", "add the column to the SELECT or fix unique_key");
        }

        if (Config.Materialized == Materialization.Scd2)
        {
            if (columns.FirstOrDefault(c => s_scd2Columns.Contains(c, StringComparer.OrdinalIgnoreCase)) is { } reserved)
            {
                throw Invalid($"the SELECT returns '{reserved}', a column scd2 adds itself ({string.Join(", ", s_scd2Columns)})", "rename or drop that column in the SELECT");
            }

            foreach (string change in Config.ChangeColumns.Where(c => !Has(c)))
            {
                throw Invalid($"change_columns names '{change}', which the model's SELECT does not return", "add the column to the SELECT or fix change_columns");
            }

            if (target is not null && NewColumns(target, columns) is { Count: > 0 } added && !_run.Options.FullRefresh)
            {
                throw Invalid($"the SELECT returns new columns ({string.Join(", ", added)}) that the history table does not have", "rebuild the history with them by a full refresh (earlier versions are lost)", ErrorCode.RunNeedsFullRefresh);
            }
        }
    }

    /// <summary>Refuses rows a merge or scd2 table cannot hold: null or repeated unique keys.</summary>
    private async Task ValidateKeysAsync(string relation, CancellationToken cancellationToken)
    {
        if (Config.Materialized is not (Materialization.Merge or Materialization.Scd2))
        {
            return;
        }

        RefuseInvalidKeys(
            await ScalarAsync($"SELECT count(*) FROM {relation} WHERE {string.Join(" OR ", Config.UniqueKey.Select(k => Q(k) + " IS NULL"))}", cancellationToken).ConfigureAwait(false),
            repeated: 0);
        if (await KeysProvenUniqueAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        RefuseInvalidKeys(nullKeys: 0, await ScalarAsync($"SELECT count(*) FROM (SELECT {string.Join(", ", Config.UniqueKey.Select(Q))} FROM {relation} GROUP BY ALL HAVING count(*) > 1)", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Refuses a result with <paramref name="nullKeys"/> rows of a null unique key, or <paramref name="repeated"/> keys on several rows, whichever engine counted them.</summary>
    private void RefuseInvalidKeys(long nullKeys, long repeated)
    {
        string keys = string.Join(", ", Config.UniqueKey.Select(Q));
        if (nullKeys > 0)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"{nullKeys} row(s) have a null unique_key ({keys})"), "filter them out or give them a key in the SELECT");
        }

        if (repeated > 0)
        {
            throw Invalid(
                string.Create(CultureInfo.InvariantCulture, $"{repeated} unique_key value(s) ({keys}) appear on more than one row of this run's result"),
                $"keep one row per key, e.g. QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY <newest first>) = 1");
        }
    }

    /// <summary>True when the model's SQL itself keeps one row per unique key (see <see cref="UniqueKeyProof"/>).</summary>
    private async Task<bool> KeysProvenUniqueAsync(CancellationToken cancellationToken)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
        command.Parameters.Add(new DuckDbParameter { Value = _model.Sql });
        string json = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("statements", out JsonElement statements) && statements.GetArrayLength() == 1
            && UniqueKeyProof.Proves(statements[0].GetProperty("node"), Config.UniqueKey);
    }

    private MedallionException Invalid(string what, string help, ErrorCode code = ErrorCode.RunResultInvalid) => new(
        code,
        $"{_model.FilePath}: model {_model.Name} ({Config.Materialized.ToString().ToLowerInvariant()}): {what}; nothing was committed.\nHelp: {help}.",
        location: Config.Location);

    /// <summary>
    /// Writes the passing rows with the materialization; null when there was nothing to write. <paramref name="passingTable"/>
    /// names a table holding exactly those rows, when there is one: a merge then reads it in place instead of copying it.
    /// </summary>
    private async Task<DeltaOperationResult?> WriteAsync(string passingSql, string? passingTable, List<string> columns, Snapshot? target, bool incremental, CancellationToken cancellationToken)
    {
        switch (Config.Materialized)
        {
            case Materialization.Merge when incremental:
                string rows = WrittenColumns(passingSql, columns);
                if (!await HasRowsAsync(rows, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                // The source keeps the change columns so delete_when can use them; the merge writes only the table's columns.
                return await _writer.MergeAsync(_location, new DeltaMergeOptions(passingTable ?? $"SELECT * FROM ({passingSql}) AS passing", KeyMatch("target", "source"))
                {
                    WhenMatched = DeltaMergeMatchedAction.Update,
                    WhenNotMatchedInsert = true,
                    DeleteWhen = Config.DeleteWhen,
                    SourceIsTable = passingTable is not null,
                }, cancellationToken).ConfigureAwait(false);
            case Materialization.Scd2 when target is not null && !_run.Options.FullRefresh:
                return await MergeHistoryAsync(passingSql, columns.Where(c => !IsChangeColumn(c)).ToList(), target, cancellationToken).ConfigureAwait(false);
            default:
                (string written, DeltaWriteMode mode) = RowsToWrite(passingSql, columns, target, incremental);
                if (_interval is { } interval)
                {
                    // One commit removes the interval's old rows (rewriting files that hold other rows too) and adds the new ones.
                    _notes.Add(string.Create(CultureInfo.InvariantCulture, $"replaced the rows with {Config.IntervalColumn} in [{interval.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, {interval.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z)"));
                    return await _writer.WriteAsync(_location, written, WriteOptions(DeltaWriteMode.Overwrite) with { ReplaceWhere = IntervalPredicate() }, cancellationToken).ConfigureAwait(false);
                }

                if (Config.Materialized == Materialization.Append && incremental && !await HasRowsAsync(written, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return await RunWriteOptionsAsync(mode, target, cancellationToken).ConfigureAwait(false) is { } options
                    ? await _writer.WriteAsync(_location, written, options, cancellationToken).ConfigureAwait(false)
                    : null;
        }
    }

    /// <summary>
    /// The options of a plain write by this run, carrying its <see cref="RunTransaction"/>; null (with a note) when an
    /// earlier attempt of this run already committed to the table, which must then not be written again.
    /// </summary>
    private async Task<DeltaWriteOptions?> RunWriteOptionsAsync(DeltaWriteMode mode, Snapshot? target, CancellationToken cancellationToken)
    {
        long? attempt = RunTransactionVersion(_run.RunId);
        long? committed = target is not null && target.TransactionVersions.TryGetValue(RunTransaction, out long last) ? last : null;
        if (attempt is not null && committed == attempt)
        {
            _notes.Add($"already committed by an earlier attempt of run {_run.RunId}; not written again");
            return null;
        }

        // A first attempt has nothing of its own to find, and on a store each commit read back is a request: a table
        // written every few seconds by a job whose runs start out of order would read dozens for every run.
        if (attempt is long number && committed > number && _run.Options.Attempt is not 1
            && await CommittedBeforeNewerRunAsync(number, cancellationToken).ConfigureAwait(false))
        {
            _notes.Add($"already committed by an earlier attempt of run {_run.RunId}, before a newer run's commit; not written again");
            return null;
        }

        // A newer run's txn already stands (this run is an old one retried late): the commit must not look done, so it carries none.
        return attempt is null || committed > attempt ? WriteOptions(mode) : WriteOptions(mode) with { ApplicationId = RunTransaction, ApplicationVersion = attempt };
    }

    /// <summary>
    /// Whether an earlier attempt of this run committed to the table although the table's <see cref="RunTransaction"/>
    /// now names a newer run: the attempt died between its commit and the catalog's record of it, and a newer run
    /// committed before this retry (a retry waits its backoff while later runs of the job go on), or before the attempt
    /// itself (servers scheduling side by side may start a job's runs out of order), when the attempt's commit carried no
    /// txn at all. The table's txn keeps only the newest run, so the commits since this run started are read back,
    /// newest first, for one that names this run (<see cref="Delta.Actions.CommitInfo.Job"/>) or carried its number.
    /// </summary>
    private async Task<bool> CommittedBeforeNewerRunAsync(long attempt, CancellationToken cancellationToken)
    {
        // Commit times are the store's clock, the run's start the catalog's: a margin keeps a small skew from hiding a commit.
        DateTimeOffset since = _run.StartedAt - TimeSpan.FromMinutes(5);
        await foreach (CommitEntry commit in OpenTarget().GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(commit.CommitInfo?.Job?.RunId, _run.RunId, StringComparison.Ordinal)
                || (commit.Transactions.TryGetValue(RunTransaction, out long version) && version == attempt))
            {
                return true;
            }

            if (commit.Timestamp < since)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>txn</c> application id of model commits. Its version names the run that committed last, so a retried
    /// attempt of that run (after a crash between the commit and the run's record) sees its commit and does not append
    /// the same rows again.
    /// </summary>
    internal const string RunTransaction = "medallion.run";

    /// <summary>A run's number for <see cref="RunTransaction"/>: the first 64 bits of its version-7 GUID id (its creation
    /// time in milliseconds, then random bits), so later runs have larger numbers; null for an id of another shape.</summary>
    internal static long? RunTransactionVersion(string runId) =>
        runId.Length == 32 && long.TryParse(runId.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long number) && number >= 0
            ? number
            : null;

    /// <summary>
    /// The rows a plain write commits (every materialization but an incremental merge and an scd2 history merge), and
    /// whether they append to the table or replace it.
    /// </summary>
    private (string Rows, DeltaWriteMode Mode) RowsToWrite(string passingSql, List<string> columns, Snapshot? target, bool incremental)
    {
        string rows = WrittenColumns(passingSql, columns);
        DeltaWriteMode replace = target is null ? DeltaWriteMode.Append : DeltaWriteMode.Overwrite;
        switch (Config.Materialized)
        {
            case Materialization.Table:
                return (rows, replace);
            case Materialization.Append:
                return (rows, target is null || incremental ? DeltaWriteMode.Append : DeltaWriteMode.Overwrite);
            case Materialization.Merge:
                return (Config.DeleteWhen is null ? rows : $"{rows} WHERE ({Config.DeleteWhen}) IS NOT TRUE", replace);
            case Materialization.Scd2:
                string select = string.Join(", ", columns.Where(c => !IsChangeColumn(c)).Select(c => "passing." + Q(c)));
                string now = Timestamp(_run.StartedAt);
                return ($"SELECT {select}, {now} AS {ValidFrom}, CAST(NULL AS TIMESTAMPTZ) AS {ValidTo}, true AS {IsCurrent} FROM ({passingSql}) AS passing", replace);
            default:
                throw new InvalidOperationException($"Unknown materialization {Config.Materialized}.");
        }
    }

    /// <summary>The model's columns of <paramref name="passingSql"/>, without the upstream change columns.</summary>
    private static string WrittenColumns(string passingSql, List<string> columns) =>
        $"SELECT {string.Join(", ", columns.Where(c => !IsChangeColumn(c)).Select(c => "passing." + Q(c)))} FROM ({passingSql}) AS passing";

    /// <summary>
    /// Appends keep every column the table has and add new ones; overwrites hold the whole result, so the table takes
    /// the result's schema (a column the model dropped or retyped goes with it).
    /// </summary>
    private DeltaWriteOptions WriteOptions(DeltaWriteMode mode) =>
        new() { Mode = mode, MergeSchema = true, OverwriteSchema = true, PartitionBy = Config.PartitionBy, Properties = Config.TableProperties, Metrics = _distinctMetrics };

    private async Task<bool> HasRowsAsync(string rows, CancellationToken cancellationToken) =>
        await ScalarAsync($"SELECT count(*) FROM ({rows} LIMIT 1)", cancellationToken).ConfigureAwait(false) > 0;

    private string KeyMatch(string left, string right) =>
        string.Join(" AND ", Config.UniqueKey.Select(k => $"{left}.{Q(k)} = {right}.{Q(k)}"));

    /// <summary>
    /// One MERGE keeps the history: for each key whose change columns differ from its current version, the current
    /// version is closed (valid_to = run time, is_current = false) and the new one inserted; new keys are inserted.
    /// The source stages both: closing rows carry the key in <c>__medallion_scd_*</c> columns so they match the current
    /// version, new versions carry NULL there so they never match and are inserted. Keys missing from the result stay
    /// current (as in dbt snapshots without invalidate_hard_deletes).
    /// </summary>
    private async Task<DeltaOperationResult?> MergeHistoryAsync(string passingSql, List<string> written, Snapshot target, CancellationToken cancellationToken)
    {
        string history = "__medallion_history";
        string scan = await DeltaScanSql.BuildAsync(OpenTarget(), target, null, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW {history} AS {scan}", cancellationToken).ConfigureAwait(false);
        string now = Timestamp(_run.StartedAt);
        IEnumerable<string> compared = Config.ChangeColumns.Count > 0
            ? Config.ChangeColumns
            : written.Where(c => !Config.UniqueKey.Contains(c, StringComparer.OrdinalIgnoreCase));
        string unchanged = string.Join(" AND ", compared.Select(c => $"h.{Q(c)} IS NOT DISTINCT FROM c.{Q(c)}").DefaultIfEmpty("true"));
        string staged = string.Join(", ", Config.UniqueKey.Select((k, i) => $"h.{Q(k)} AS {StageKey(i)}"));
        string noStage = string.Join(", ", Config.UniqueKey.Select((k, i) => $"NULL AS {StageKey(i)}"));
        string closing = string.Join(", ", target.Schema.Fields.Select(f => f.Name switch
        {
            ValidTo => $"{now} AS {Q(ValidTo)}",
            IsCurrent => $"false AS {Q(IsCurrent)}",
            _ => $"h.{Q(f.Name)}",
        }));
        string source =
            $"SELECT {closing}, {staged} FROM {history} h JOIN ({passingSql}) c ON {KeyMatch("h", "c")} WHERE h.{Q(IsCurrent)} AND NOT ({unchanged}) " +
            $"UNION ALL BY NAME SELECT {string.Join(", ", written.Select(c => "c." + Q(c)))}, {now} AS {Q(ValidFrom)}, CAST(NULL AS TIMESTAMPTZ) AS {Q(ValidTo)}, true AS {Q(IsCurrent)}, {noStage} " +
            $"FROM ({passingSql}) c LEFT JOIN {history} h ON {KeyMatch("h", "c")} AND h.{Q(IsCurrent)} WHERE h.{Q(IsCurrent)} IS NULL OR NOT ({unchanged})";
        if (await ScalarAsync($"SELECT count(*) FROM ({source})", cancellationToken).ConfigureAwait(false) == 0)
        {
            return null;
        }

        string on = string.Join(" AND ", Config.UniqueKey.Select((k, i) => $"target.{Q(k)} = source.{StageKey(i)}")) + $" AND target.{Q(IsCurrent)}";
        return await _writer.MergeAsync(_location, new DeltaMergeOptions(source, on)
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string StageKey(int index) => "__medallion_scd_key" + index.ToString(CultureInfo.InvariantCulture);

    private static string Timestamp(DateTimeOffset instant) =>
        "TIMESTAMPTZ " + DuckDbConnection.QuoteLiteral(instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00");

    /// <summary>The quarantine table's domain naming the model version its last rows belong to, and the run that wrote them.</summary>
    internal const string QuarantineDomain = "medallion.quarantine";

    /// <summary>
    /// Appends the rows the quality rules quarantined to <c>&lt;ns&gt;.&lt;name&gt;_quarantine</c> (created on first use),
    /// before the model's own commit, which is the point of truth. The quarantine commit records in
    /// <see cref="QuarantineDomain"/> the model version it belongs to (the next one) and its run id. A crash between the
    /// two commits leaves rows whose model version never came: the next build of the model finds the domain ahead of
    /// the model, deletes that run's rows, and quarantines its own, so rows are neither lost nor doubled. When the model
    /// commits nothing (every row quarantined), the quarantine commit stands alone and marks no model version.
    /// </summary>
    /// <returns>True when quarantined rows were committed (the model must then commit too).</returns>
    private async Task<bool> QuarantineAsync(string? quarantineSql, Snapshot? target, CancellationToken cancellationToken)
    {
        TableName table = QuarantineTable.Of(_model.Name);
        string location = _run.Tables.QuarantineLocation(_model.Name);
        long modelVersion = target?.Version ?? -1;
        if (await _writer.TryGetSnapshotAsync(location, cancellationToken).ConfigureAwait(false) is { } existing
            && existing.DomainMetadata.TryGetValue(QuarantineDomain, out string? marker)
            && QuarantineMarker.Parse(marker) is { } last && last.ModelVersion > modelVersion)
        {
            DeltaOperationResult removed = await _writer.DeleteAsync(location, $"_quarantine_run_id = {DuckDbConnection.QuoteLiteral(last.RunId)}", cancellationToken).ConfigureAwait(false);
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"removed {removed.RowsAffected} quarantined row(s) of run {last.RunId}, whose commit to {_model.Name} never happened"));
            if (removed.Committed)
            {
                await CommitRecorder.RecordAsync(_run, table, location, removed.Version, removed.Operation, await ColumnDocsAsync(CancellationToken.None).ConfigureAwait(false), _writer).ConfigureAwait(false);
            }
        }

        if (quarantineSql is null || !await HasRowsAsync(quarantineSql, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var options = new DeltaWriteOptions
        {
            MergeSchema = true,
            DomainMetadata = new Dictionary<string, string> { [QuarantineDomain] = new QuarantineMarker(modelVersion + 1, _run.RunId).Serialize() },
        };
        DeltaOperationResult result = await _writer.WriteAsync(location, quarantineSql, options, cancellationToken).ConfigureAwait(false);
        _notes.Add(string.Create(CultureInfo.InvariantCulture, $"{result.RowsAffected} row(s) quarantined to {table}"));
        if (result.Committed)
        {
            await _run.Catalog.Tables.UpsertTableAsync(
                new CatalogTable(table, location, Description: $"Rows of {_model.Name} that broke quarantine-severity expectations, with the rules and the run id."),
                CancellationToken.None).ConfigureAwait(false);
            await CommitRecorder.RecordAsync(_run, table, location, result.Version, result.Operation, await ColumnDocsAsync(CancellationToken.None).ConfigureAwait(false), _writer).ConfigureAwait(false);
        }

        return result.Committed;
    }

    /// <summary>
    /// Commits a version of the model's table without rows, for a build whose rows were all quarantined: the model's
    /// commit is what makes the quarantined rows true, so there must be one.
    /// </summary>
    private async Task<DeltaOperationResult> CommitEmptyAsync(Snapshot target, CancellationToken cancellationToken)
    {
        string scan = await DeltaScanSql.BuildAsync(OpenTarget(), target, null, cancellationToken).ConfigureAwait(false);
        DeltaStagedWrite empty = await _writer.BeginWriteAsync(_location, new DeltaWriteOptions { Mode = DeltaWriteMode.Append }, cancellationToken).ConfigureAwait(false);
        await empty.AddAsync($"SELECT * FROM ({scan}) AS current_rows WHERE false", cancellationToken).ConfigureAwait(false);
        return await empty.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RecordQualityAsync(QualityVerdict verdict)
    {
        foreach (QualityResultRecord record in verdict.Records)
        {
            // Of the physical table the build writes in its environment, so it is that environment's (and prod's after a promotion).
            await _run.Catalog.Quality.RecordQualityResultAsync(
                record with { Environment = _run.Tables.Environment, Location = _run.Tables.Pointer(_model.Name) ?? string.Empty },
                CancellationToken.None).ConfigureAwait(false);
            if (record.Broken)
            {
                PipelineMeter.RecordRuleBroken(record.Model, record.Severity);
            }
        }
    }
}
