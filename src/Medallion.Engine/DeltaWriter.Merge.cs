using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    private const string MatchedMarker = "__medallion_matched";
    private const string DeleteMarker = "__medallion_delete";

    /// <summary>
    /// Merges <see cref="DeltaMergeOptions.Source"/> into the table: matched rows are updated or deleted, unmatched source
    /// rows inserted, target rows without a match deleted, as the options say. Only files holding matched rows are
    /// rewritten (every file when unmatched target rows are deleted); the source is read once, into a temporary table.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidWriteArgument"/> when several source rows match one
    /// target row or the condition is invalid; <see cref="ErrorCode.DeltaSchemaMismatch"/> when a source column cannot be
    /// stored in the target column of the same name.</exception>
    public Task<DeltaOperationResult> MergeAsync(string path, DeltaMergeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Source);
        ArgumentException.ThrowIfNullOrEmpty(options.On);
        return WithConflictRetriesAsync(() => MergeOnceAsync(path, options, cancellationToken));
    }

    private async Task<DeltaOperationResult> MergeOnceAsync(string path, DeltaMergeOptions options, CancellationToken cancellationToken)
    {
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureColumnMappingWritable(snapshot, table);
        string source = "__medallion_merge_source_" + Guid.NewGuid().ToString("N");
        // The delete condition is evaluated on the source alone, so its unqualified names cannot clash with the target's.
        string deleteFlag = options.DeleteWhen is null ? string.Empty : $", ({options.DeleteWhen}) IS TRUE AS {DeleteMarker}";
        await ExecuteAsync($"CREATE TEMP TABLE {source} AS SELECT *{deleteFlag} FROM ({options.Source}) AS source", cancellationToken).ConfigureAwait(false);
        try
        {
            return await MergeCoreAsync(table, snapshot, source, options, cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"MERGE into the Delta table at '{table.Location}' failed: {e.Message}\nHelp: in --on and the conditions the table is 'target' and the source 'source'; check the column names.", e);
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE IF EXISTS {source}", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<DeltaOperationResult> MergeCoreAsync(DeltaTable table, Snapshot snapshot, string sourceTable, DeltaMergeOptions options, CancellationToken cancellationToken)
    {
        List<SourceColumn> sourceColumns = await SchemaAlignment.DescribeAsync(Connection, $"SELECT * FROM {sourceTable}", cancellationToken).ConfigureAwait(false);
        StructType schema = snapshot.Schema;
        var sourceByTarget = new Dictionary<string, SourceColumn>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (SourceColumn c in sourceColumns)
        {
            if (c.Name == DeleteMarker || schema.Find(c.Name) is not { } f)
            {
                continue;
            }

            if (c.Type is null || !SchemaAlignment.CanWrite(c.Type, f.Type, c.DuckDbType))
            {
                mismatches.Add($"'{c.Name}': the table has {f.Type}, the source has {c.Type?.ToString() ?? c.DuckDbType}");
            }

            sourceByTarget[f.Name] = c;
        }

        if (mismatches.Count > 0)
        {
            throw new MedallionException(ErrorCode.DeltaSchemaMismatch,
                $"The MERGE source does not match the schema of the Delta table at '{table.Location}': {string.Join("; ", mismatches)}.\nHelp: cast the source columns in the query.");
        }

        string on = options.On;
        long sourceRows = await ScalarLongAsync($"SELECT count(*) FROM {sourceTable}", cancellationToken).ConfigureAwait(false);
        ScanPlan plan = await table.PlanScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        string all = await TableRelation.BuildAsync(Connection, snapshot, plan.Files, withRowIds: true, cancellationToken).ConfigureAwait(false);
        string marked = $"(SELECT *, true AS {MatchedMarker} FROM {sourceTable})";

        // Files to rewrite: those holding matched rows, or every file when unmatched target rows go.
        List<ScanFile> touched;
        if (options.WhenNotMatchedBySourceDelete)
        {
            touched = [.. plan.Files];
        }
        else if (options.WhenMatched != DeltaMergeMatchedAction.None || options.DeleteWhen is not null)
        {
            touched = await FilesOfQueryAsync(plan.Files, $"SELECT DISTINCT target.{TableRelation.FileColumn} FROM ({all}) AS target JOIN {sourceTable} AS source ON ({on})", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            touched = [];
        }

        long duplicates = options.WhenMatched == DeltaMergeMatchedAction.None && options.DeleteWhen is null ? 0 : await ScalarLongAsync(
            $"SELECT count(*) FROM (SELECT target.{TableRelation.FileColumn}, target.{TableRelation.RowColumn} FROM ({all}) AS target JOIN {sourceTable} AS source ON ({on}) GROUP BY ALL HAVING count(*) > 1)",
            cancellationToken).ConfigureAwait(false);
        if (duplicates > 0)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"MERGE into the Delta table at '{table.Location}': {duplicates} target rows are matched by more than one source row on ({on}), so the result would be ambiguous.\nHelp: make the source unique on the join key (e.g. keep the latest row per key).");
        }

        var parts = new List<string>();
        var changes = new List<string>();
        bool cdf = ChangeDataFeedEnabled(snapshot);
        long updated = 0, deleted = 0, copied = 0, inserted = 0;
        if (touched.Count > 0)
        {
            string rel = await TableRelation.BuildAsync(Connection, snapshot, touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
            string joined = $"FROM ({rel}) AS target LEFT JOIN {marked} AS source ON ({on})";
            string anyMatch = $"source.{MatchedMarker} IS NOT NULL";
            string isDeleted = options.DeleteWhen is null ? "false" : $"({anyMatch} AND source.{DeleteMarker})";
            long deletedByCondition = options.DeleteWhen is null ? 0 : await ScalarLongAsync($"SELECT count(*) {joined} WHERE {isDeleted}", cancellationToken).ConfigureAwait(false);
            long matched = await ScalarLongAsync($"SELECT count(*) {joined} WHERE {anyMatch}", cancellationToken).ConfigureAwait(false) - deletedByCondition;
            long unmatched = await ScalarLongAsync($"SELECT count(*) {joined} WHERE NOT ({anyMatch})", cancellationToken).ConfigureAwait(false);
            // From here "matched" means matched and kept: rows the delete condition removes are handled on their own.
            string isMatched = options.DeleteWhen is null ? anyMatch : $"({anyMatch} AND NOT {isDeleted})";
            var select = new StringBuilder("SELECT ");
            for (int i = 0; i < schema.Fields.Count; i++)
            {
                StructField f = schema.Fields[i];
                string targetColumn = "target." + DuckDbTypes.Quote(f.Name);
                select.Append(i == 0 ? string.Empty : ", ");
                if (options.WhenMatched == DeltaMergeMatchedAction.Update && sourceByTarget.TryGetValue(f.Name, out SourceColumn? sc))
                {
                    select.Append($"CASE WHEN {isMatched} THEN CAST(source.{DuckDbTypes.Quote(sc.Name)} AS {DuckDbTypes.ToDuckDb(f.Type)}) ELSE {targetColumn} END");
                }
                else
                {
                    select.Append(targetColumn);
                }

                select.Append(" AS ").Append(DuckDbTypes.Quote(f.Name));
            }

            string updatedColumns = select.ToString()["SELECT ".Length..];
            if (cdf)
            {
                if (options.WhenMatched == DeltaMergeMatchedAction.Update)
                {
                    changes.Add($"SELECT target.*, 'update_preimage' AS {ChangeTypeColumn} {joined} WHERE {isMatched}");
                    changes.Add($"SELECT {updatedColumns}, 'update_postimage' AS {ChangeTypeColumn} {joined} WHERE {isMatched}");
                }
                else if (options.WhenMatched == DeltaMergeMatchedAction.Delete)
                {
                    changes.Add($"SELECT target.*, 'delete' AS {ChangeTypeColumn} {joined} WHERE {isMatched}");
                }

                if (options.WhenNotMatchedBySourceDelete)
                {
                    changes.Add($"SELECT target.*, 'delete' AS {ChangeTypeColumn} {joined} WHERE NOT ({anyMatch})");
                }

                if (deletedByCondition > 0)
                {
                    changes.Add($"SELECT target.*, 'delete' AS {ChangeTypeColumn} {joined} WHERE {isDeleted}");
                }
            }

            select.Append(' ').Append(joined);
            var drop = new List<string>();
            if (deletedByCondition > 0)
            {
                drop.Add(isDeleted);
                deleted += deletedByCondition;
            }

            if (options.WhenMatched == DeltaMergeMatchedAction.Delete)
            {
                drop.Add(isMatched);
                deleted += matched;
            }
            else if (options.WhenMatched == DeltaMergeMatchedAction.Update)
            {
                updated = matched;
            }

            if (options.WhenNotMatchedBySourceDelete)
            {
                drop.Add($"NOT ({anyMatch})");
                deleted += unmatched;
            }
            else
            {
                copied += unmatched;
            }

            if (options.WhenMatched == DeltaMergeMatchedAction.None)
            {
                copied += matched;
            }

            if (drop.Count > 0)
            {
                select.Append(" WHERE NOT (").Append(string.Join(" OR ", drop)).Append(')');
            }

            parts.Add(select.ToString());
        }

        if (options.WhenNotMatchedInsert)
        {
            var select = new StringBuilder("SELECT ");
            for (int i = 0; i < schema.Fields.Count; i++)
            {
                StructField f = schema.Fields[i];
                select.Append(i == 0 ? string.Empty : ", ");
                select.Append(sourceByTarget.TryGetValue(f.Name, out SourceColumn? sc)
                    ? $"CAST(source.{DuckDbTypes.Quote(sc.Name)} AS {DuckDbTypes.ToDuckDb(f.Type)})"
                    : $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)})");
                select.Append(" AS ").Append(DuckDbTypes.Quote(f.Name));
            }

            string notDeleted = options.DeleteWhen is null ? string.Empty : $"NOT source.{DeleteMarker} AND ";
            string insertRows = $"FROM {sourceTable} AS source WHERE {notDeleted}NOT EXISTS (SELECT 1 FROM ({all}) AS target WHERE ({on}))";
            inserted = await ScalarLongAsync($"SELECT count(*) {insertRows}", cancellationToken).ConfigureAwait(false);
            if (inserted > 0)
            {
                if (cdf)
                {
                    changes.Add($"{select}, 'insert' AS {ChangeTypeColumn} {insertRows}");
                }

                parts.Add(select.Append(' ').Append(insertRows).ToString());
            }
        }

        var metrics = Parameters(
            ("numSourceRows", Transaction.Metric(sourceRows)),
            ("numTargetRowsInserted", Transaction.Metric(inserted)),
            ("numTargetRowsUpdated", Transaction.Metric(updated)),
            ("numTargetRowsDeleted", Transaction.Metric(deleted)),
            ("numTargetRowsCopied", Transaction.Metric(copied)),
            ("numOutputRows", Transaction.Metric(inserted + updated + copied)),
            ("numTargetFilesRemoved", Transaction.Metric(touched.Count)));
        var result = new DeltaOperationResult("MERGE", table.Location, snapshot.Version, false) { RowsAffected = inserted + updated + deleted, Metrics = metrics };
        if (touched.Count == 0 && inserted == 0)
        {
            return result;
        }

        List<AddFile> adds = parts.Count == 0 ? [] : await WriteRowsAsync(table, snapshot, string.Join(" UNION ALL ", parts), cancellationToken).ConfigureAwait(false);
        metrics["numTargetFilesAdded"] = Transaction.Metric(adds.Count);
        var tx = new Transaction(table, snapshot);
        // Which rows are inserted depends on every target row, so the whole table was read.
        tx.Reads.AddWholeTable();
        Record(tx, new Rewrite(touched, adds, updated + deleted, copied), "merge");
        if (changes.Count > 0)
        {
            await WriteChangeDataAsync(table, snapshot, tx, changes, cancellationToken).ConfigureAwait(false);
        }
        var parameters = Parameters(
            ("predicate", JsonText.StringArray([on])),
            ("matchedPredicates", options.WhenMatched == DeltaMergeMatchedAction.None ? "[]" : $"[{{\"actionType\":\"{(options.WhenMatched == DeltaMergeMatchedAction.Update ? "update" : "delete")}\"}}]"),
            ("notMatchedPredicates", options.WhenNotMatchedInsert ? "[{\"actionType\":\"insert\"}]" : "[]"),
            ("notMatchedBySourcePredicates", options.WhenNotMatchedBySourceDelete ? "[{\"actionType\":\"delete\"}]" : "[]"));
        CommitResult commit = await tx.CommitAsync("MERGE", parameters, metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result with { FilesAdded = adds.Count, FilesRemoved = touched.Count, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<ScanFile>> FilesOfQueryAsync(IReadOnlyList<ScanFile> files, string sql, CancellationToken cancellationToken)
    {
        var byPath = new Dictionary<string, ScanFile>(StringComparer.Ordinal);
        foreach (ScanFile f in files)
        {
            byPath[f.AbsolutePath] = f;
        }

        var result = new List<ScanFile>();
        if (files.Count == 0)
        {
            return result;
        }

        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(0) && byPath.TryGetValue(reader.GetString(0), out ScanFile? f))
                {
                    result.Add(f);
                }
            }
        }

        return result;
    }
}
