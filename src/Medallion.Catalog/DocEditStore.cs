using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// Docs edited in the catalog (descriptions, owners and tags of tables, descriptions and tags of columns), kept as a
/// history of edits laid over the project files' docs: the files stay as written (the server may not own them, and an
/// edit must not race a deploy), and every edit stays, with who made it and when. Reached through
/// <see cref="CatalogStore.Docs"/>.
/// </summary>
/// <remarks>Tables and columns are keyed lower-cased, as DuckDB compares identifiers.</remarks>
public sealed class DocEditStore
{
    private const string Columns = "namespace, table_name, column_name, field, value, edited_by, edited_at";

    private readonly CatalogDatabase _db;

    internal DocEditStore(CatalogDatabase db) => _db = db;

    /// <summary>Records an edit, made now by <paramref name="editedBy"/>; a null <paramref name="value"/> gives the field back to the project files.</summary>
    /// <param name="table">The table edited.</param>
    /// <param name="column">The column edited; null for the table.</param>
    /// <param name="field">The doc edited; a column has no owner.</param>
    /// <param name="value">The new value (tags separated by commas); null or blank to revert.</param>
    /// <param name="editedBy">Who edits.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The edit as recorded.</returns>
    public async Task<DocEdit> RecordAsync(TableName table, string? column, DocField field, string? value, string editedBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(editedBy);
        if (column is not null && field == DocField.Owner)
        {
            throw new ArgumentException("A column has no owner of its own; its table's is edited.", nameof(field));
        }

        string? stored = string.IsNullOrWhiteSpace(value) ? null
            : field == DocField.Tags ? string.Join(", ", DocEdit.SplitTags(value)) : value.Trim();
        if (field == DocField.Tags && stored is { Length: 0 })
        {
            stored = null;
        }

        string now = _db.Now();
        // The next number of this field's history is read in the write that adds it: writes are serialized, so two
        // edits of the same field never take the same number.
        await _db.ExecuteAsync(
            $"""
             INSERT INTO doc_edits (namespace, table_name, column_name, field, seq, value, edited_by, edited_at)
             SELECT @ns, @table, @column, @field, COALESCE(MAX(seq), 0) + 1, @value, @by, @at FROM doc_edits
             WHERE namespace = @ns AND table_name = @table AND column_name = @column AND field = @field
             """,
            [
                ("@ns", table.Namespace.ToLowerInvariant()), ("@table", table.Name.ToLowerInvariant()), ("@column", column?.ToLowerInvariant() ?? string.Empty),
                ("@field", FieldName(field)), ("@value", stored), ("@by", editedBy), ("@at", now),
            ],
            cancellationToken).ConfigureAwait(false);
        return new DocEdit(Key(table), column?.ToLowerInvariant(), field, stored, editedBy, ParseTime(now));
    }

    /// <summary>The edits in force: the latest edit of each field of every table and column, when it has a value (not a revert).</summary>
    public Task<List<DocEdit>> GetCurrentAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            $"""
             SELECT {Columns} FROM doc_edits e
             WHERE value IS NOT NULL AND seq = (SELECT MAX(l.seq) FROM doc_edits l
                 WHERE l.namespace = e.namespace AND l.table_name = e.table_name AND l.column_name = e.column_name AND l.field = e.field)
             ORDER BY namespace, table_name, column_name, field
             """,
            [],
            Read,
            cancellationToken);

    /// <summary>Every edit of a table's docs and its columns', newest first, at most <paramref name="limit"/>.</summary>
    public Task<List<DocEdit>> GetHistoryAsync(TableName table, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _db.QueryAsync(
            $"SELECT {Columns} FROM doc_edits WHERE namespace = @ns AND table_name = @table ORDER BY edited_at DESC, seq DESC, column_name, field LIMIT @limit",
            [("@ns", table.Namespace.ToLowerInvariant()), ("@table", table.Name.ToLowerInvariant()), ("@limit", limit)],
            Read,
            cancellationToken);
    }

    private static TableName Key(TableName table) => new(table.Namespace.ToLowerInvariant(), table.Name.ToLowerInvariant());

    private static string FieldName(DocField field) => field switch
    {
        DocField.Description => "description",
        DocField.Owner => "owner",
        _ => "tags",
    };

    private static DocEdit Read(DbDataReader r) => new(
        new TableName(r.GetString(0), r.GetString(1)),
        r.GetString(2) is { Length: > 0 } column ? column : null,
        r.GetString(3) switch
        {
            "description" => DocField.Description,
            "owner" => DocField.Owner,
            _ => DocField.Tags,
        },
        GetNullableString(r, 4),
        r.GetString(5),
        ParseTime(r.GetString(6)));
}
