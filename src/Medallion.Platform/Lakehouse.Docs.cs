using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// The docs of a table as the catalog's edits leave them: each field an edit overrides, with the project files' value
    /// it overrides, and the history of edits of the table and of the columns <see cref="Reader"/> may read, newest first.
    /// Empty without a catalog.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="historyCount">How many edits of the history at most.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<TableDocs> GetDocsAsync(TableName name, int historyCount = 50, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        if (_catalog is null)
        {
            return new TableDocs(name, [], []);
        }

        TableSummary declared = DeclaredInFiles(name, entry);
        List<ColumnInfo> declaredColumns = Columns(name, entry, null, await _catalog.Tables.GetColumnsAsync(name, cancellationToken).ConfigureAwait(false), DocOverlay.None);
        bool Readable(DocEdit edit) => edit.Column is null || Reader.CanRead(name, edit.Column);
        string? DeclaredValue(DocEdit edit)
        {
            if (edit.Column is null)
            {
                return edit.Field switch
                {
                    DocField.Description => declared.Description,
                    DocField.Owner => declared.Owner,
                    _ => declared.Tags.Count == 0 ? null : string.Join(", ", declared.Tags),
                };
            }

            ColumnInfo? column = declaredColumns.FirstOrDefault(c => string.Equals(c.Name, edit.Column, StringComparison.OrdinalIgnoreCase));
            return edit.Field == DocField.Description ? column?.Description : column is null || column.Tags.Count == 0 ? null : string.Join(", ", column.Tags);
        }

        List<DocChange> inForce = [.. _docs.EditsOf(name).Where(Readable).Select(e => new DocChange(e, DeclaredValue(e)))];
        List<DocEdit> history = [.. (await _catalog.Docs.GetHistoryAsync(name, historyCount, cancellationToken).ConfigureAwait(false)).Where(Readable)];
        return new TableDocs(name, inForce, history);
    }

    /// <summary>
    /// Edits a doc of a table or of one of its columns in the catalog, over the project files' (which stay as written):
    /// a null or blank <paramref name="value"/> gives the field back to the files. Who may edit is the caller's to decide;
    /// the table and column must be ones <see cref="Reader"/> may read.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="column">One of its columns; null for the table.</param>
    /// <param name="field">What is edited; a column has no owner.</param>
    /// <param name="value">The new value (tags separated by commas); null or blank to revert.</param>
    /// <param name="editedBy">Who edits, as the history shows it.</param>
    /// <param name="cancellationToken">Stops the edit.</param>
    /// <returns>The edit as recorded.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/>: the table has no such column, or the reader may not read it.</exception>
    public async Task<DocEdit> EditDocAsync(TableName name, string? column, DocField field, string? value, string editedBy, CancellationToken cancellationToken = default)
    {
        CatalogStore catalog = _catalog ?? throw new InvalidOperationException("Docs are edited in the catalog, and this project has none yet.");
        if (column is not null)
        {
            IReadOnlyList<ColumnInfo> columns = await GetColumnsAsync(name, cancellationToken).ConfigureAwait(false);
            column = columns.FirstOrDefault(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase))?.Name ?? throw NoSuchColumn(name, column);
        }
        else
        {
            Find(name);
        }

        DocEdit edit = await catalog.Docs.RecordAsync(name, column, field, value, editedBy, cancellationToken).ConfigureAwait(false);
        _docs = new DocOverlay(await catalog.Docs.GetCurrentAsync(cancellationToken).ConfigureAwait(false));
        return edit;
    }

    /// <summary>
    /// The documented columns of every table the reader may read, from the project files and the catalog with its edits
    /// (no Delta log is read): what a search over column names and docs needs. Columns the reader may not read are left out.
    /// </summary>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyDictionary<TableName, IReadOnlyList<ColumnInfo>>> ListDocumentedColumnsAsync(CancellationToken cancellationToken = default)
    {
        Dictionary<TableName, List<CatalogColumn>> registered = _catalog is null ? new Dictionary<TableName, List<CatalogColumn>>() : await _catalog.Tables.GetColumnsByTableAsync(cancellationToken).ConfigureAwait(false);
        var columns = new Dictionary<TableName, IReadOnlyList<ColumnInfo>>();
        foreach (TableName name in TableNames)
        {
            IReadOnlyList<string>? granted = Reader.Find(name)?.Columns;
            columns[name] = [.. Columns(name, _tables[name], null, registered.GetValueOrDefault(name) ?? [], _docs)
                .Where(c => granted is null || granted.Contains(c.Name, StringComparer.OrdinalIgnoreCase))];
        }

        return columns;
    }
}
