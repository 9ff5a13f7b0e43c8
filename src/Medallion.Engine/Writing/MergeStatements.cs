using System.Collections.Generic;
using System.Linq;
using Medallion.Delta.Schema;
using Medallion.DuckDb;

namespace Medallion.Engine.Writing;

/// <summary>
/// The decisions and the SQL of one MERGE, from its options and the two schemas alone (no data read): which target rows
/// match, which stay, what a kept row becomes, what the change data feed records and which source rows are inserted.
/// In the SQL the target relation is <c>target</c> and the source <c>source</c>. Pure, so its SQL is tested as text; the
/// writer reads the data, counts, writes and commits.
/// </summary>
internal sealed class MergeStatements
{
    /// <summary>A column of the marked source, true on every source row: after a LEFT JOIN, non-null where a target row matched.</summary>
    public const string MatchedMarker = "__medallion_matched";

    /// <summary>A column of the source copy: the delete condition, evaluated on the source row.</summary>
    public const string DeleteMarker = "__medallion_delete";

    private readonly DeltaMergeOptions _options;
    private readonly StructType _schema;
    private readonly IReadOnlyDictionary<string, SourceColumn> _sourceByTarget;
    private readonly string _source;
    private readonly string _table;
    private readonly IReadOnlyList<string> _partitionColumns;

    /// <param name="options">The merge.</param>
    /// <param name="schema">The target table's schema.</param>
    /// <param name="sourceByTarget">The source column that feeds each target column, by target column name.</param>
    /// <param name="sourceTable">The source, as a table (a copy carrying <see cref="DeleteMarker"/> when there is a delete condition).</param>
    /// <param name="deletionVectors">Whether the table marks rows deleted in place rather than rewriting files.</param>
    /// <param name="table">The target table's location, for errors.</param>
    /// <param name="partitionColumns">The target table's partition columns, which name a row in errors.</param>
    public MergeStatements(DeltaMergeOptions options, StructType schema, IReadOnlyDictionary<string, SourceColumn> sourceByTarget, string sourceTable, bool deletionVectors, string table, IReadOnlyList<string> partitionColumns)
    {
        (_options, _schema, _sourceByTarget, _source, _table, _partitionColumns) = (options, schema, sourceByTarget, sourceTable, table, partitionColumns);
        DeletionVectors = deletionVectors;
        AnyMatch = MatchedRowsStay ? $"EXISTS (SELECT 1 FROM {_source} AS source WHERE ({options.On}))" : $"source.{MatchedMarker} IS NOT NULL";
        IsDeleted = options.DeleteWhen is null ? "false" : $"({AnyMatch} AND source.{DeleteMarker})";
        IsMatched = options.DeleteWhen is null ? AnyMatch : $"({AnyMatch} AND NOT {IsDeleted})";
    }

    /// <summary>Whether rows leave by deletion vectors rather than by rewriting their files.</summary>
    public bool DeletionVectors { get; }

    /// <summary>Deleting target rows that no source row matches needs every file; otherwise only files that may hold a match are read.</summary>
    public bool ReadsEveryFile => _options.WhenNotMatchedBySourceDelete;

    /// <summary>Matched rows are neither updated nor deleted (an insert-only merge): several source rows on one target row are then harmless.</summary>
    public bool MatchedRowsStay => _options.WhenMatched == DeltaMergeMatchedAction.None && _options.DeleteWhen is null;

    /// <summary>With deletion vectors, only matched rows leave (updated or deleted): the pass that finds them keeps their row indexes.</summary>
    public bool MatchedRowsLeave => DeletionVectors && _options.WhenMatched != DeltaMergeMatchedAction.None && _options.DeleteWhen is null && !_options.WhenNotMatchedBySourceDelete;

    /// <summary>Whether the files holding matched rows must be found (anything but a pure insert).</summary>
    public bool FindsMatchedFiles => _options.WhenMatched != DeltaMergeMatchedAction.None || _options.DeleteWhen is not null || _options.WhenNotMatchedBySourceDelete;

    /// <summary>True where a target row has a matching source row.</summary>
    public string AnyMatch { get; }

    /// <summary>True where a matched target row goes by the delete condition.</summary>
    public string IsDeleted { get; }

    /// <summary>True where a target row is matched and not deleted by the delete condition.</summary>
    public string IsMatched { get; }

    /// <summary>The target relation joined with the source: where several source rows may match one target row a join would copy it once per match, so an insert-only merge only tests for a match.</summary>
    public string Joined(string targetRelation) =>
        $"FROM ({targetRelation}) AS target" + (MatchedRowsStay ? string.Empty : $" LEFT JOIN (SELECT *, true AS {MatchedMarker} FROM {_source}) AS source ON ({_options.On})");

    /// <summary>One pass that counts the target rows deleted by the condition, matched, and unmatched.</summary>
    public string CountRows(string targetRelation) =>
        $"SELECT count(*) FILTER (WHERE {IsDeleted}), count(*) FILTER (WHERE {AnyMatch}), count(*) FILTER (WHERE NOT ({AnyMatch})) {Joined(targetRelation)}";

    /// <summary>A kept row's columns after the merge: the source's value where the row is matched and updated.</summary>
    public string KeptRow => SelectList(f => UpdatedValue(f) is { } value ? $"CASE WHEN {IsMatched} THEN {value} ELSE {TargetColumn(f)} END" : TargetColumn(f));

    /// <summary>A matched row's columns: with no CASE, so rows known to be matched read no target column the source replaces.</summary>
    public string MatchedRow => SelectList(f => UpdatedValue(f) ?? TargetColumn(f));

    /// <summary>The conditions under which a target row leaves the table (a deleted row; a matched row deleted; an unmatched row when those go).</summary>
    public IReadOnlyList<string> Leaving(bool anyDeletedByCondition)
    {
        var drop = new List<string>();
        if (anyDeletedByCondition)
        {
            drop.Add(IsDeleted);
        }

        if (_options.WhenMatched == DeltaMergeMatchedAction.Delete)
        {
            drop.Add(IsMatched);
        }

        if (_options.WhenNotMatchedBySourceDelete)
        {
            drop.Add($"NOT ({AnyMatch})");
        }

        return drop;
    }

    /// <summary>How many rows the merge updates, deletes and copies, from the counts of the touched files.</summary>
    public (long Updated, long Deleted, long Copied) Outcome(long deletedByCondition, long matched, long unmatched)
    {
        long deleted = deletedByCondition + (_options.WhenMatched == DeltaMergeMatchedAction.Delete ? matched : 0) + (_options.WhenNotMatchedBySourceDelete ? unmatched : 0);
        long updated = _options.WhenMatched == DeltaMergeMatchedAction.Update ? matched : 0;
        long copied = (_options.WhenNotMatchedBySourceDelete ? 0 : unmatched) + (_options.WhenMatched == DeltaMergeMatchedAction.None ? matched : 0);
        return (updated, deleted, copied);
    }

    /// <summary>Rewriting the touched files: every row that stays, as it is after the merge.</summary>
    public string RewrittenRows(string targetRelation, IReadOnlyList<string> leaving) =>
        $"SELECT {KeptRow} {Joined(targetRelation)}" + (leaving.Count == 0 ? string.Empty : $" WHERE NOT ({string.Join(" OR ", leaving)})");

    /// <summary>With deletion vectors: the rows written anew, which are the updated ones.</summary>
    public string? UpdatedRows(string targetRelation) =>
        _options.WhenMatched == DeltaMergeMatchedAction.Update ? $"SELECT {MatchedRow} {Joined(targetRelation)} WHERE {IsMatched}" : null;

    /// <summary>With deletion vectors: the conditions of the rows marked deleted where they are, those that go and those updated.</summary>
    public IReadOnlyList<string> ChangingOrLeaving(IReadOnlyList<string> leaving) =>
        _options.WhenMatched == DeltaMergeMatchedAction.Update ? [.. leaving, IsMatched] : leaving;

    /// <summary>With deletion vectors: the file and row index of every row that <paramref name="conditions"/> (<see cref="ChangingOrLeaving"/>) select.</summary>
    public string RowsToMarkDeleted(string targetRelationWithRowIds, IReadOnlyList<string> conditions, string fileColumn, string rowColumn) =>
        $"SELECT target.{fileColumn}, target.{rowColumn} {Joined(targetRelationWithRowIds)} WHERE {string.Join(" OR ", conditions)}";

    /// <summary>The change data feed's rows for the touched files, each query ending with the change type column.</summary>
    public IReadOnlyList<string> Changes(string targetRelation, bool anyDeletedByCondition, string changeTypeColumn)
    {
        string joined = Joined(targetRelation);
        var changes = new List<string>();
        if (_options.WhenMatched == DeltaMergeMatchedAction.Update)
        {
            changes.Add($"SELECT target.*, 'update_preimage' AS {changeTypeColumn} {joined} WHERE {IsMatched}");
            changes.Add($"SELECT {MatchedRow}, 'update_postimage' AS {changeTypeColumn} {joined} WHERE {IsMatched}");
        }
        else if (_options.WhenMatched == DeltaMergeMatchedAction.Delete)
        {
            changes.Add($"SELECT target.*, 'delete' AS {changeTypeColumn} {joined} WHERE {IsMatched}");
        }

        if (_options.WhenNotMatchedBySourceDelete)
        {
            changes.Add($"SELECT target.*, 'delete' AS {changeTypeColumn} {joined} WHERE NOT ({AnyMatch})");
        }

        if (anyDeletedByCondition)
        {
            changes.Add($"SELECT target.*, 'delete' AS {changeTypeColumn} {joined} WHERE {IsDeleted}");
        }

        return changes;
    }

    /// <summary>The inserted rows' columns: the source's value stored in the target's type, NULL for a target column the source lacks.</summary>
    public string InsertedRow => SelectList(f => _sourceByTarget.TryGetValue(f.Name, out SourceColumn? sc)
        ? StoreAssignment.Convert(SourceValue(sc), sc.Type, f.Type, Target(f, k => _sourceByTarget.TryGetValue(k.Name, out SourceColumn? key) ? SourceValue(key) : null))
        : $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)})");

    /// <summary>The source rows to insert: those no target row matches (and the delete condition does not remove), against the whole target.</summary>
    public string InsertedFrom(string wholeTargetRelation) =>
        $"FROM {_source} AS source WHERE {(_options.DeleteWhen is null ? string.Empty : $"NOT source.{DeleteMarker} AND ")}NOT EXISTS (SELECT 1 FROM ({wholeTargetRelation}) AS target WHERE ({_options.On}))";

    private string? UpdatedValue(StructField field) =>
        _options.WhenMatched == DeltaMergeMatchedAction.Update && _sourceByTarget.TryGetValue(field.Name, out SourceColumn? sc)
            ? StoreAssignment.Convert(SourceValue(sc), sc.Type, field.Type, Target(field, TargetColumn))
            : null;

    private static string SourceValue(SourceColumn column) => "source." + DuckDbConnection.QuoteIdentifier(column.Name);

    /// <summary>What an error of storing <paramref name="field"/>'s value names: the row by its key's values, read as <paramref name="keyValue"/> says.</summary>
    private StoreTarget Target(StructField field, System.Func<StructField, string?> keyValue) =>
        new(_table, field.Name, StoreAssignment.RowKey(_schema, _partitionColumns, field.Name, keyValue));

    private static string TargetColumn(StructField field) => "target." + DuckDbConnection.QuoteIdentifier(field.Name);

    private string SelectList(System.Func<StructField, string> value) =>
        string.Join(", ", _schema.Fields.Select(f => value(f) + " AS " + DuckDbConnection.QuoteIdentifier(f.Name)));
}
