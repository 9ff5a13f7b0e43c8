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
    /// <summary>
    /// What a purging DELETE or UPDATE records as its predicate in the commit: the real one names the person erased (their
    /// CPF, their e-mail), and the log is kept for ever.
    /// </summary>
    public const string PurgedPredicate = "(withheld: data subject erasure)";

    /// <summary>
    /// Deletes the rows matching <paramref name="predicate"/> (SQL over the table's columns; the table is <c>target</c>),
    /// or every row when it is null. Only files holding matching rows are rewritten.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaOperationNotAllowed"/> on an append-only table;
    /// <see cref="ErrorCode.DeltaConcurrentModification"/> when a concurrent commit changed the files this delete read.</exception>
    public Task<DeltaOperationResult> DeleteAsync(string path, string? predicate, CancellationToken cancellationToken = default) =>
        DeleteAsync(path, predicate, purge: false, cancellationToken);

    /// <summary>
    /// Deletes the rows matching <paramref name="predicate"/>; with <paramref name="purge"/>, the files holding them are
    /// rewritten even when the table uses deletion vectors, and no change data is written, so no file of the new version
    /// holds the deleted rows (what a data subject erasure needs; the old files are then the erasure's to remove).
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="DeleteAsync(string, string?, CancellationToken)"/>.</exception>
    public Task<DeltaOperationResult> DeleteAsync(string path, string? predicate, bool purge, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return WithConflictRetriesAsync("DELETE", path, () => DeleteOnceAsync(path, predicate, purge, cancellationToken));
    }

    private async Task<DeltaOperationResult> DeleteOnceAsync(string path, string? predicate, bool purge, CancellationToken cancellationToken)
    {
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "DELETE");
        var tx = new Transaction(table, snapshot);
        if (!purge && DeletionVectorsEnabled(snapshot))
        {
            return await DeleteWithDeletionVectorsAsync(table, snapshot, tx, predicate, cancellationToken).ConfigureAwait(false);
        }

        Rewrite rewrite = await RemoveMatchingRowsAsync(table, snapshot, snapshot.Schema, snapshot.Metadata, predicate ?? "true", cancellationToken).ConfigureAwait(false);
        Record(tx, rewrite, predicate, purge);
        if (!purge && ChangeDataFeedEnabled(snapshot) && rewrite.Touched.Count > 0)
        {
            string touchedRows = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), rewrite.Touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
            await WriteChangeDataAsync(table, snapshot, tx, [$"SELECT *, 'delete' AS {ChangeTypeColumn} FROM ({touchedRows}) AS target WHERE ({predicate ?? "true"}) IS TRUE"], cancellationToken).ConfigureAwait(false);
        }
        var metrics = Parameters(
            ("numRemovedFiles", Transaction.Metric(rewrite.Touched.Count)),
            ("numAddedFiles", Transaction.Metric(rewrite.Adds.Count)),
            ("numDeletedRows", Transaction.Metric(rewrite.MatchedRows)),
            ("numCopiedRows", Transaction.Metric(rewrite.CopiedRows)));
        var result = new DeltaOperationResult("DELETE", table.Location, snapshot.Version, false)
        {
            FilesAdded = rewrite.Adds.Count,
            FilesRemoved = rewrite.Touched.Count,
            RowsAffected = rewrite.MatchedRows,
            Metrics = metrics,
        };
        if (rewrite.Touched.Count == 0)
        {
            return result;
        }

        CommitResult commit = await CommitAsync(tx, "DELETE", Parameters(("predicate", JsonText.StringArray([purge ? PurgedPredicate : predicate ?? "true"]))), metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE that marks the matching rows in deletion vectors and writes no data file.</summary>
    private async Task<DeltaOperationResult> DeleteWithDeletionVectorsAsync(DeltaTable table, Snapshot snapshot, Transaction tx, string? predicate, CancellationToken cancellationToken)
    {
        string where = predicate ?? "true";
        if (predicate is null)
        {
            tx.Reads.AddWholeTable();
        }

        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        Dictionary<string, List<long>> rows = await MatchingRowIndexesAsync(LocalMirror.Of(table.Store), snapshot, plan.Files, where, cancellationToken).ConfigureAwait(false);
        DeletionVectorUpdate update = await MarkRowsDeletedAsync(table, tx, plan.Files, rows, cancellationToken).ConfigureAwait(false);
        var result = new DeltaOperationResult("DELETE", table.Location, snapshot.Version, false);
        if (update.Touched.Count == 0)
        {
            return result;
        }

        if (ChangeDataFeedEnabled(snapshot))
        {
            string touchedRows = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), update.Touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
            await WriteChangeDataAsync(table, snapshot, tx, [$"SELECT *, 'delete' AS {ChangeTypeColumn} FROM ({touchedRows}) AS target WHERE ({where}) IS TRUE"], cancellationToken).ConfigureAwait(false);
        }

        var metrics = Parameters(
        [
            ("numRemovedFiles", Transaction.Metric(update.FilesEmptied)),
            ("numAddedFiles", "0"),
            ("numDeletedRows", Transaction.Metric(update.RowsDeleted)),
            ("numCopiedRows", "0"),
            .. update.Metrics,
        ]);
        CommitResult commit = await CommitAsync(tx, "DELETE", Parameters(("predicate", JsonText.StringArray([where]))), metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result with { FilesRemoved = update.FilesEmptied, RowsAffected = update.RowsDeleted, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The row indexes, by data file, of the live rows matching <paramref name="predicate"/>.</summary>
    private async Task<Dictionary<string, List<long>>> MatchingRowIndexesAsync(LocalMirror mirror, Snapshot snapshot, IReadOnlyList<ScanFile> files, string predicate, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return [];
        }

        string relation = await TableRelation.BuildAsync(Connection, snapshot, mirror, files, withRowIds: true, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RowIndexesAsync($"SELECT {TableRelation.FileColumn}, {TableRelation.RowColumn} FROM ({relation}) AS target WHERE ({predicate}) IS TRUE", cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw InvalidCondition(snapshot, predicate, e);
        }
    }

    /// <summary>
    /// Sets columns of the rows matching <paramref name="predicate"/> (all rows when null): <paramref name="assignments"/>
    /// is <c>column = expression, ...</c> over the table's columns (the table is <c>target</c>). Only files holding matching
    /// rows are rewritten; updated rows must still satisfy the table's constraints.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidWriteArgument"/> for an assignment to an unknown column;
    /// <see cref="ErrorCode.DeltaConstraintViolation"/> when an updated row breaks a constraint; <see cref="ErrorCode.DeltaValueOutOfRange"/>
    /// when an assigned value does not fit its column's type.</exception>
    public Task<DeltaOperationResult> UpdateAsync(string path, string assignments, string? predicate, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(assignments);
        return WithConflictRetriesAsync("UPDATE", path, () => UpdateOnceAsync(path, assignments, predicate, purge: false, cancellationToken));
    }

    /// <summary>
    /// Sets columns of the rows matching <paramref name="predicate"/>; with <paramref name="purge"/>, the files holding
    /// them are rewritten even when the table uses deletion vectors, and no change data is written, so no file of the new
    /// version holds the rows' old values (a data subject erasure that anonymises).
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="UpdateAsync(string, string, string?, CancellationToken)"/>.</exception>
    public Task<DeltaOperationResult> UpdateAsync(string path, string assignments, string? predicate, bool purge, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(assignments);
        return WithConflictRetriesAsync("UPDATE", path, () => UpdateOnceAsync(path, assignments, predicate, purge, cancellationToken));
    }

    private async Task<DeltaOperationResult> UpdateOnceAsync(string path, string assignments, string? predicate, bool purge, CancellationToken cancellationToken)
    {
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "UPDATE");
        Dictionary<string, string> set = ParseAssignments(assignments, snapshot.Schema, table);
        foreach (string p in snapshot.PartitionColumns)
        {
            if (set.ContainsKey(p))
            {
                throw Invalid(table, $"UPDATE sets the partition column '{p}'", "delete and re-insert the rows to move them to another partition");
            }
        }

        string where = predicate ?? "true";
        var tx = new Transaction(table, snapshot);
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        List<ScanFile> touched = await FindFilesAsync(LocalMirror.Of(table.Store), snapshot, plan.Files, where, cancellationToken).ConfigureAwait(false);
        var result = new DeltaOperationResult("UPDATE", table.Location, snapshot.Version, false);
        if (touched.Count == 0)
        {
            return result;
        }

        string relation = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
        // The assignments see the narrow integer columns widened, so that their arithmetic overflows into the store
        // assignment's check rather than in DuckDB; each value read there goes back to its column's type.
        string? widened = StoreAssignment.WidenIntegers(relation, snapshot.Schema);
        string assigning = widened ?? relation;
        await ApplyStoreAssignmentAsync(set, snapshot, assigning, table, cancellationToken).ConfigureAwait(false);
        var select = new StringBuilder("SELECT ");
        for (int i = 0; i < snapshot.Schema.Fields.Count; i++)
        {
            StructField f = snapshot.Schema.Fields[i];
            string column = "target." + DuckDbConnection.QuoteIdentifier(f.Name);
            string value = set.TryGetValue(f.Name, out string? expression) ? $"CASE WHEN ({where}) IS TRUE THEN ({expression}) ELSE {column} END" : column;
            select.Append(i == 0 ? string.Empty : ", ");
            select.Append(widened is not null && StoreAssignment.IsWidened(f.Type) ? $"CAST({value} AS {DuckDbTypes.ToDuckDb(f.Type)})" : value);
            select.Append(" AS ").Append(DuckDbConnection.QuoteIdentifier(f.Name));
        }

        string updatedColumns = select.ToString()["SELECT ".Length..];
        select.Append(" FROM (").Append(assigning).Append(") AS target");
        long updated, copied;
        int filesRemoved;
        List<AddFile> adds;
        var dvMetrics = new List<(string, string?)>();
        if (!purge && DeletionVectorsEnabled(snapshot))
        {
            // Only the updated rows are written; their old versions are marked deleted where they are.
            Dictionary<string, List<long>> rows = await MatchingRowIndexesAsync(LocalMirror.Of(table.Store), snapshot, touched, where, cancellationToken).ConfigureAwait(false);
            adds = await WriteRowsAsync(table, snapshot, $"{select} WHERE ({where}) IS TRUE", cancellationToken).ConfigureAwait(false);
            if (predicate is null)
            {
                tx.Reads.AddWholeTable();
            }

            DeletionVectorUpdate update = await MarkRowsDeletedAsync(table, tx, touched, rows, cancellationToken).ConfigureAwait(false);
            adds.ForEach(tx.Add);
            (updated, copied, filesRemoved) = (update.RowsDeleted, 0, update.FilesEmptied);
            dvMetrics.AddRange(update.Metrics);
        }
        else
        {
            updated = await ScalarLongAsync($"SELECT count(*) FROM ({relation}) AS target WHERE ({where}) IS TRUE", cancellationToken).ConfigureAwait(false);
            copied = await ScalarLongAsync($"SELECT count(*) FROM ({relation}) AS target", cancellationToken).ConfigureAwait(false) - updated;
            adds = await WriteRowsAsync(table, snapshot, select.ToString(), cancellationToken).ConfigureAwait(false);
            Record(tx, new Rewrite(touched, adds, updated, copied), predicate, purge);
            filesRemoved = touched.Count;
        }

        if (!purge && ChangeDataFeedEnabled(snapshot))
        {
            await WriteChangeDataAsync(table, snapshot, tx,
            [
                $"SELECT *, 'update_preimage' AS {ChangeTypeColumn} FROM ({relation}) AS target WHERE ({where}) IS TRUE",
                $"SELECT {updatedColumns}, 'update_postimage' AS {ChangeTypeColumn} FROM ({assigning}) AS target WHERE ({where}) IS TRUE",
            ], cancellationToken).ConfigureAwait(false);
        }
        var metrics = Parameters(
        [
            ("numRemovedFiles", Transaction.Metric(filesRemoved)),
            ("numAddedFiles", Transaction.Metric(adds.Count)),
            ("numUpdatedRows", Transaction.Metric(updated)),
            ("numCopiedRows", Transaction.Metric(copied)),
            .. dvMetrics,
        ]);
        CommitResult commit = await CommitAsync(tx, "UPDATE", Parameters(("predicate", JsonText.StringArray([purge ? PurgedPredicate : where]))), metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result with { FilesAdded = adds.Count, FilesRemoved = filesRemoved, RowsAffected = updated, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a rewrite in a transaction: the touched files are removed (and were read), the new files added. A purge's
    /// tombstones carry no statistics, whose bounds may be the values being erased.
    /// </summary>
    private static void Record(Transaction tx, Rewrite rewrite, string? predicate, bool purge)
    {
        if (predicate is null)
        {
            tx.Reads.AddWholeTable();
        }

        foreach (ScanFile f in rewrite.Touched)
        {
            tx.Remove(f, withStats: !purge);
        }

        foreach (AddFile a in rewrite.Adds)
        {
            tx.Add(a);
        }
    }

    /// <summary>
    /// Copy-on-write removal of the rows matching <paramref name="predicate"/>: finds the files holding such rows and
    /// writes their other rows to new files. Files whose rows all match produce no new file.
    /// </summary>
    internal async Task<Rewrite> RemoveMatchingRowsAsync(DeltaTable table, Snapshot snapshot, StructType schema, Metadata metadata, string predicate, CancellationToken cancellationToken)
    {
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        List<ScanFile> touched = await FindFilesAsync(LocalMirror.Of(table.Store), snapshot, plan.Files, predicate, cancellationToken).ConfigureAwait(false);
        if (touched.Count == 0)
        {
            return new Rewrite(touched, [], 0, 0);
        }

        string relation = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
        long matched = await ScalarLongAsync($"SELECT count(*) FROM ({relation}) AS target WHERE ({predicate}) IS TRUE", cancellationToken).ConfigureAwait(false);
        long total = await ScalarLongAsync($"SELECT count(*) FROM ({relation}) AS target", cancellationToken).ConfigureAwait(false);
        var adds = new List<AddFile>();
        if (total > matched)
        {
            string kept = $"SELECT * FROM ({relation}) AS target WHERE ({predicate}) IS NOT TRUE";
            adds = await WriteRowsAsync(table, snapshot, kept, cancellationToken, schema, metadata).ConfigureAwait(false);
        }

        return new Rewrite(touched, adds, matched, total - matched);
    }

    /// <summary>Writes rows with the table's logical columns as data files (cast, constraints checked, physical names).</summary>
    private async Task<List<AddFile>> WriteRowsAsync(DeltaTable table, Snapshot snapshot, string rowsSql, CancellationToken cancellationToken, StructType? schema = null, Metadata? metadata = null)
    {
        schema ??= snapshot.Schema;
        metadata ??= snapshot.Metadata;
        var columns = new List<SourceColumn>(schema.Fields.Count);
        foreach (StructField f in snapshot.Schema.Fields)
        {
            columns.Add(new SourceColumn(f.Name, DuckDbTypes.ToDuckDb(f.Type), f.Type, null));
        }

        ColumnMappingMode mode = ModeOf(metadata);
        // Rewritten rows may have new values in the columns a generated column is computed from.
        string projected = SchemaAlignment.Project(rowsSql, columns, schema, mode, metadata, table.Location, recomputeGenerated: true);
        return await WriteFilesAsync(table, projected, schema, metadata, mode, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The files that hold at least one row matching <paramref name="predicate"/>. DuckDB prunes with the Parquet
    /// statistics of each file and the partition values joined from the log.
    /// </summary>
    private async Task<List<ScanFile>> FindFilesAsync(LocalMirror mirror, Snapshot snapshot, IReadOnlyList<ScanFile> files, string predicate, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return [];
        }

        string relation = await TableRelation.BuildAsync(Connection, snapshot, mirror, files, withRowIds: true, cancellationToken).ConfigureAwait(false);
        var byPath = new Dictionary<string, ScanFile>(StringComparer.Ordinal);
        foreach (ScanFile f in files)
        {
            byPath[mirror.PathOf(f)] = f;
        }

        var touched = new List<ScanFile>();
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT {TableRelation.FileColumn} FROM ({relation}) AS target WHERE ({predicate}) IS TRUE";
        DuckDbDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw InvalidCondition(snapshot, predicate, e);
        }

        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (byPath.TryGetValue(reader.GetString(0), out ScanFile? file))
                {
                    touched.Add(file);
                }
            }
        }

        return touched;
    }

    private static MedallionException InvalidCondition(Snapshot snapshot, string predicate, DuckDbException e) =>
        new(ErrorCode.DeltaInvalidWriteArgument,
            $"The condition ({predicate}) cannot be evaluated on the Delta table at '{snapshot.TableLocation}': {e.Message}\nHelp: write a SQL condition over the table's columns; the table is called 'target'.", e);

    /// <summary>
    /// Holds each UPDATE assignment to the rule every write follows (<see cref="StoreAssignment"/>): a value its column
    /// takes is converted the same way (a timestamp without zone read as UTC), any other is refused naming the column,
    /// rather than left to DuckDB's implicit casts in the session's time zone or with loss.
    /// </summary>
    private async Task ApplyStoreAssignmentAsync(Dictionary<string, string> set, Snapshot snapshot, string relation, DeltaTable table, CancellationToken cancellationToken)
    {
        StructType schema = snapshot.Schema;
        var mismatches = new List<string>();
        foreach ((string name, string expression) in new List<KeyValuePair<string, string>>(set))
        {
            StructField f = schema.Find(name)!;
            List<SourceColumn> described = await SchemaAlignment.DescribeAsync(Connection, $"SELECT ({expression}) AS __value FROM ({relation}) AS target", cancellationToken).ConfigureAwait(false);
            SourceColumn c = described[0];
            if (c.Type is null || !StoreAssignment.Allows(c.Type, f.Type, c.DuckDbType))
            {
                mismatches.Add($"'{f.Name}': the table has {f.Type}, the value has {c.Type?.ToString() ?? c.DuckDbType} ({c.DuckDbType})");
                continue;
            }

            string? rowKey = StoreAssignment.RowKey(schema, snapshot.PartitionColumns, f.Name, k => "target." + DuckDbConnection.QuoteIdentifier(k.Name));
            set[name] = StoreAssignment.Convert($"({expression})", c.Type, f.Type, new StoreTarget(table.Location, f.Name, rowKey));
        }

        if (mismatches.Count > 0)
        {
            throw Invalid(table, $"UPDATE assigns values their columns do not take: {string.Join("; ", mismatches)}", "cast the values to the columns' types in the assignments");
        }
    }

    /// <summary>Parses <c>a = expr, b = expr</c> (commas inside parentheses and quotes are kept) against the schema.</summary>
    internal static Dictionary<string, string> ParseAssignments(string assignments, StructType schema, DeltaTable table)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in SplitTopLevel(assignments))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Invalid(table, $"'{part.Trim()}' is not an assignment", "write assignments as 'column = expression, ...'");
            }

            string column = part[..eq].Trim();
            if (column.StartsWith("target.", StringComparison.OrdinalIgnoreCase))
            {
                column = column["target.".Length..];
            }

            column = column.Trim('"');
            StructField field = schema.Find(column) ?? throw Invalid(table, $"the assignment sets '{column}', which is not a column of the table", "assign only existing columns");
            result[field.Name] = part[(eq + 1)..].Trim();
        }

        return result;
    }
}
