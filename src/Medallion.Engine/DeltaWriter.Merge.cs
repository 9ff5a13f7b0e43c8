using System;
using System.Collections.Generic;
using System.Globalization;
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
    /// <summary>
    /// Merges <see cref="DeltaMergeOptions.Source"/> into the table: matched rows are updated or deleted, unmatched source
    /// rows inserted, target rows without a match deleted, as the options say. Only files holding matched rows are
    /// rewritten (every file when unmatched target rows are deleted); the source is read once, into a temporary table
    /// (unless <see cref="DeltaMergeOptions.SourceIsTable"/> says it is a table already).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidWriteArgument"/> when several source rows match one
    /// target row or the condition is invalid; <see cref="ErrorCode.DeltaSchemaMismatch"/> when a source column cannot be
    /// stored in the target column of the same name; <see cref="ErrorCode.DeltaValueOutOfRange"/> when a source value does not fit
    /// its column's type.</exception>
    public Task<DeltaOperationResult> MergeAsync(string path, DeltaMergeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Source);
        ArgumentException.ThrowIfNullOrEmpty(options.On);
        return WithConflictRetriesAsync("MERGE", path, () => MergeOnceAsync(path, options, cancellationToken));
    }

    private async Task<DeltaOperationResult> MergeOnceAsync(string path, DeltaMergeOptions options, CancellationToken cancellationToken)
    {
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "MERGE");
        // A delete condition becomes a column of the copy, so a source table with one is copied all the same.
        bool inPlace = options.SourceIsTable && options.DeleteWhen is null;
        string source = inPlace ? options.Source : "__medallion_merge_source_" + Guid.NewGuid().ToString("N");
        if (!inPlace)
        {
            // The delete condition is evaluated on the source alone, so its unqualified names cannot clash with the target's.
            string deleteFlag = options.DeleteWhen is null ? string.Empty : $", ({options.DeleteWhen}) IS TRUE AS {MergeStatements.DeleteMarker}";
            string from = options.SourceIsTable ? options.Source : $"({options.Source})";
            await ExecuteAsync($"CREATE TEMP TABLE {source} AS SELECT *{deleteFlag} FROM {from} AS source", cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await MergeCoreAsync(table, snapshot, source, options, cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"MERGE into the Delta table at '{table.Location}' failed: {e.Message}\nHelp: in the merge condition and the clauses' conditions the table is 'target' and the source 'source'; check the column names.", e);
        }
        finally
        {
            if (!inPlace)
            {
                await ExecuteAsync($"DROP TABLE IF EXISTS {source}", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<DeltaOperationResult> MergeCoreAsync(DeltaTable table, Snapshot snapshot, string sourceTable, DeltaMergeOptions options, CancellationToken cancellationToken)
    {
        StructType schema = snapshot.Schema;
        (List<SourceColumn> sourceColumns, Dictionary<string, SourceColumn> sourceByTarget) = await AlignMergeSourceAsync(table, schema, sourceTable, cancellationToken).ConfigureAwait(false);
        string on = options.On;
        (long sourceRows, ScanPredicate? keyRange, bool noKeys) = await SourceKeyRangeAsync(sourceTable, on, schema, sourceColumns, cancellationToken).ConfigureAwait(false);
        var merge = new MergeStatements(options, schema, sourceByTarget, sourceTable, DeletionVectorsEnabled(snapshot), table.Location, snapshot.PartitionColumns);
        // Only files whose statistics or partition values overlap the source's key range can hold a matched row, so
        // the rest are never read; deleting unmatched target rows needs every file.
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, merge.ReadsEveryFile ? null : keyRange, cancellationToken).ConfigureAwait(false);
        LocalMirror mirror = LocalMirror.Of(table.Store);
        IReadOnlyList<ScanFile> candidates = noKeys && !merge.ReadsEveryFile ? [] : plan.Files;
        string all = await TableRelation.BuildAsync(Connection, snapshot, mirror, candidates, withRowIds: true, cancellationToken).ConfigureAwait(false);

        // Files to rewrite: those holding matched rows, or every file when unmatched target rows go. One pass over the
        // candidates finds them and how many source rows match each target row.
        MatchedFiles matches = merge.FindsMatchedFiles
            ? await MatchedFilesAsync(mirror, candidates, all, sourceTable, on, merge.MatchedRowsLeave, cancellationToken).ConfigureAwait(false)
            : MatchedFiles.None;
        List<ScanFile> touched = merge.ReadsEveryFile ? [.. candidates] : matches.Files;
        // Several source rows on one target row only make the result ambiguous where that row changes.
        long duplicates = merge.MatchedRowsStay ? 0 : matches.ExtraMatches;
        if (duplicates > 0)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"MERGE into the Delta table at '{table.Location}': {duplicates} target rows are matched by more than one source row on ({on}), so the result would be ambiguous.\nHelp: make the source unique on the join key (e.g. keep the latest row per key).");
        }

        var parts = new List<string>();
        var changes = new List<string>();
        bool cdf = ChangeDataFeedEnabled(snapshot);
        Dictionary<string, List<long>> leaving = [];
        long updated = 0, deleted = 0, copied = 0, inserted = 0;
        if (touched.Count > 0)
        {
            string rel = await TableRelation.BuildAsync(Connection, snapshot, mirror, touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
            long deletedByCondition, matched, unmatched;
            if (options.DeleteWhen is null && ScanFile.TotalRecordCount(touched) is long touchedRows)
            {
                // Without a delete condition the pass that found the touched files already counted the matched rows.
                (deletedByCondition, matched, unmatched) = (0, matches.TargetRows, touchedRows - matches.TargetRows);
            }
            else
            {
                long[] counts = await ScalarLongsAsync(merge.CountRows(rel), cancellationToken).ConfigureAwait(false);
                (deletedByCondition, matched, unmatched) = (counts[0], counts[1] - counts[0], counts[2]);
            }

            // From here "matched" means matched and kept: rows the delete condition removes are handled on their own.
            (updated, deleted, copied) = merge.Outcome(deletedByCondition, matched, unmatched);
            IReadOnlyList<string> leaves = merge.Leaving(deletedByCondition > 0);
            if (cdf)
            {
                changes.AddRange(merge.Changes(rel, deletedByCondition > 0, ChangeTypeColumn));
            }

            if (merge.DeletionVectors)
            {
                // Rows that change or go are marked deleted where they are; only updated rows are written anew.
                if (merge.MatchedRowsLeave)
                {
                    leaving = matches.Rows;
                }
                else if (merge.ChangingOrLeaving(leaves) is { Count: > 0 } conditions)
                {
                    string withIds = await TableRelation.BuildAsync(Connection, snapshot, mirror, touched, withRowIds: true, cancellationToken).ConfigureAwait(false);
                    leaving = await RowIndexesAsync(merge.RowsToMarkDeleted(withIds, conditions, TableRelation.FileColumn, TableRelation.RowColumn), cancellationToken).ConfigureAwait(false);
                }

                copied = 0;
                if (merge.UpdatedRows(rel) is { } updatedRows)
                {
                    parts.Add(updatedRows);
                }
            }
            else
            {
                parts.Add(merge.RewrittenRows(rel, leaves));
            }
        }

        List<AddFile> insertedFiles = [];
        // When every source row matched a target row there is nothing to insert, and no need to look for it.
        bool everySourceRowMatched = options.DeleteWhen is null && matches.SourceRows == sourceRows;
        if (options.WhenNotMatchedInsert && !everySourceRowMatched)
        {
            string insertedFrom = merge.InsertedFrom(all);
            // Written on their own, the inserted rows are counted by the write's statistics instead of another pass.
            insertedFiles = await WriteRowsAsync(table, snapshot, $"SELECT {merge.InsertedRow} {insertedFrom}", cancellationToken).ConfigureAwait(false);
            foreach (AddFile a in insertedFiles)
            {
                inserted += FileStatistics.TryParse(a.Stats)?.NumRecords ?? 0;
            }

            if (inserted > 0 && cdf)
            {
                changes.Add($"SELECT {merge.InsertedRow}, 'insert' AS {ChangeTypeColumn} {insertedFrom}");
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
        adds.AddRange(insertedFiles);
        metrics["numTargetFilesAdded"] = Transaction.Metric(adds.Count);
        var tx = new Transaction(table, snapshot);
        // Which rows are inserted depends on every target row, so the whole table was read.
        tx.Reads.AddWholeTable();
        int filesRemoved = touched.Count;
        if (merge.DeletionVectors)
        {
            DeletionVectorUpdate update = await MarkRowsDeletedAsync(table, tx, touched, leaving, cancellationToken).ConfigureAwait(false);
            adds.ForEach(tx.Add);
            filesRemoved = update.FilesEmptied;
            metrics["numTargetFilesRemoved"] = Transaction.Metric(filesRemoved);
            foreach ((string key, string? value) in update.Metrics)
            {
                metrics[key] = value!;
            }
        }
        else
        {
            Record(tx, new Rewrite(touched, adds, updated + deleted, copied), "merge", purge: false);
        }

        if (changes.Count > 0)
        {
            await WriteChangeDataAsync(table, snapshot, tx, changes, cancellationToken).ConfigureAwait(false);
        }

        CommitResult commit = await CommitAsync(tx, "MERGE", MergeParameters(options), metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result with { FilesAdded = adds.Count, FilesRemoved = filesRemoved, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The source's columns, and the one that feeds each target column; refused when one cannot be stored in its column.</summary>
    private async Task<(List<SourceColumn> Columns, Dictionary<string, SourceColumn> ByTarget)> AlignMergeSourceAsync(DeltaTable table, StructType schema, string sourceTable, CancellationToken cancellationToken)
    {
        List<SourceColumn> sourceColumns = await SchemaAlignment.DescribeAsync(Connection, $"SELECT * FROM {sourceTable}", cancellationToken).ConfigureAwait(false);
        var sourceByTarget = new Dictionary<string, SourceColumn>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (SourceColumn c in sourceColumns)
        {
            if (c.Name == MergeStatements.DeleteMarker || schema.Find(c.Name) is not { } f)
            {
                continue;
            }

            if (c.Type is null || !StoreAssignment.Allows(c.Type, f.Type, c.DuckDbType))
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

        return (sourceColumns, sourceByTarget);
    }

    /// <summary>The commit's operation parameters, as Delta Lake's MERGE writes them.</summary>
    private static Dictionary<string, string> MergeParameters(DeltaMergeOptions options) => Parameters(
        ("predicate", JsonText.StringArray([options.On])),
        ("matchedPredicates", options.WhenMatched == DeltaMergeMatchedAction.None ? "[]" : $"[{{\"actionType\":\"{(options.WhenMatched == DeltaMergeMatchedAction.Update ? "update" : "delete")}\"}}]"),
        ("notMatchedPredicates", options.WhenNotMatchedInsert ? "[{\"actionType\":\"insert\"}]" : "[]"),
        ("notMatchedBySourcePredicates", options.WhenNotMatchedBySourceDelete ? "[{\"actionType\":\"delete\"}]" : "[]"));

    /// <summary>
    /// One pass joining the target rows of <paramref name="files"/> (<paramref name="relation"/>, with row ids) to the
    /// source: the files holding matched rows, how many extra source rows match the most-matched target row (0 when
    /// none is matched twice), how many target rows and how many source rows matched, and with
    /// <paramref name="withRows"/> the matched row indexes of each file.
    /// </summary>
    private async Task<MatchedFiles> MatchedFilesAsync(
        LocalMirror mirror, IReadOnlyList<ScanFile> files, string relation, string sourceTable, string on, bool withRows, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return MatchedFiles.None;
        }

        var byPath = new Dictionary<string, ScanFile>(StringComparer.Ordinal);
        foreach (ScanFile f in files)
        {
            byPath[mirror.PathOf(f)] = f;
        }

        // One row per file, then one row (file NULL) with the matched source rows. Were a source column named rowid to
        // shadow the temp table's, the distinct count could only come out lower, which merely keeps the insert pass.
        string file = TableRelation.FileColumn, row = TableRelation.RowColumn;
        string rows = withRows ? "list(r)" : "CAST(NULL AS BIGINT[])";
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText =
            $"WITH pairs AS MATERIALIZED (SELECT target.{file} AS f, target.{row} AS r, source.rowid AS s FROM ({relation}) AS target JOIN {sourceTable} AS source ON ({on})) " +
            $"SELECT f, max(n), count(*), NULL, {rows} FROM (SELECT f, r, count(*) AS n FROM pairs GROUP BY f, r) GROUP BY f " +
            "UNION ALL SELECT NULL, NULL, NULL, count(DISTINCT s), NULL FROM pairs";
        var matched = new List<ScanFile>();
        var rowsByFile = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        long maxMatches = 0, targetRows = 0, sourceRows = 0;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(0))
                {
                    sourceRows = reader.GetInt64(3);
                    continue;
                }

                string path = reader.GetString(0);
                if (!byPath.TryGetValue(path, out ScanFile? f))
                {
                    continue;
                }

                matched.Add(f);
                maxMatches = Math.Max(maxMatches, reader.GetInt64(1));
                targetRows += reader.GetInt64(2);
                if (withRows && !reader.IsDBNull(4))
                {
                    rowsByFile[path] = [.. reader.GetFieldValue<long[]>(4)];
                }
            }
        }

        // A target row matched by two source rows counts once per extra match, as the old per-row query did.
        return new MatchedFiles(matched, maxMatches > 1 ? maxMatches - 1 : 0, targetRows, sourceRows, rowsByFile);
    }

    /// <summary>What the pass over the candidate files found; see <see cref="MatchedFilesAsync"/>.</summary>
    private sealed record MatchedFiles(List<ScanFile> Files, long ExtraMatches, long TargetRows, long SourceRows, Dictionary<string, List<long>> Rows)
    {
        public static MatchedFiles None => new([], 0, 0, 0, []);
    }

    /// <summary>
    /// The source's row count, and a filter on the target's join keys that every matching target row passes: for each
    /// <c>target.x = source.y</c> conjunct of <paramref name="on"/> whose columns are of one kind (numbers, strings,
    /// dates, timestamps), <c>x</c> between the source's min and max of <c>y</c>. Null when no conjunct qualifies.
    /// <c>NoKeys</c>: a key column of the source is all null, so no target row can match.
    /// </summary>
    private async Task<(long Rows, ScanPredicate? KeyRange, bool NoKeys)> SourceKeyRangeAsync(string sourceTable, string on, StructType schema, List<SourceColumn> sourceColumns, CancellationToken cancellationToken)
    {
        var keys = new List<(StructField Target, SourceColumn Source)>();
        foreach ((string targetName, string sourceName) in MergeJoinKeys.Parse(on))
        {
            StructField? t = FindIgnoringCase(schema.Fields, targetName);
            SourceColumn? src = sourceColumns.Find(c => string.Equals(c.Name, sourceName, StringComparison.OrdinalIgnoreCase));
            if (t is not null && src?.Type is { } sourceType && MergeJoinKeys.SameKind(t.Type, sourceType))
            {
                keys.Add((t, src));
            }
        }

        var sql = new StringBuilder("SELECT count(*)");
        foreach ((_, SourceColumn src) in keys)
        {
            string c = DuckDbConnection.QuoteIdentifier(src.Name);
            sql.Append($", min({c}), max({c})");
        }

        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql.Append(" FROM ").Append(sourceTable).ToString();
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long rows = reader.GetInt64(0);
            ScanPredicate? range = null;
            for (int i = 0; i < keys.Count; i++)
            {
                if (reader.IsDBNull(1 + 2 * i))
                {
                    return (rows, null, true);
                }

                ScanPredicate between = new AndPredicate(
                    new ComparisonPredicate(keys[i].Target.Name, ComparisonOperator.GreaterThanOrEqual, reader.GetValue(1 + 2 * i)),
                    new ComparisonPredicate(keys[i].Target.Name, ComparisonOperator.LessThanOrEqual, reader.GetValue(2 + 2 * i)));
                range = range is null ? between : new AndPredicate(range, between);
            }

            return (rows, range, false);
        }
    }

    private static StructField? FindIgnoringCase(IReadOnlyList<StructField> fields, string name)
    {
        foreach (StructField f in fields)
        {
            if (string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return f;
            }
        }

        return null;
    }
}
