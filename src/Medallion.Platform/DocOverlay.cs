using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>
/// The docs edited in the catalog laid over those the project files declare: the one place that decides which wins (an
/// edit in force, else the files), so a table's page, the catalog search, the REST API and <c>medallion describe</c>
/// show the same docs.
/// </summary>
internal sealed class DocOverlay
{
    private readonly Dictionary<(TableName Table, string Column, DocField Field), DocEdit> _current;

    /// <summary>An overlay of the edits in force (<see cref="DocEditStore.GetCurrentAsync"/>).</summary>
    public DocOverlay(IEnumerable<DocEdit> current) =>
        _current = current.ToDictionary(e => (e.Table, e.Column ?? string.Empty, e.Field), new KeyComparer());

    /// <summary>No edits: the project files' docs as they are.</summary>
    public static DocOverlay None { get; } = new([]);

    /// <summary>The edits in force of a table and its columns.</summary>
    public IEnumerable<DocEdit> EditsOf(TableName table) => _current.Values.Where(e => e.Table.Equals(table));

    /// <summary>A table's docs with its edits in force over them.</summary>
    public TableSummary Apply(TableSummary declared) => declared with
    {
        Description = Find(declared.Name, null, DocField.Description)?.Value ?? declared.Description,
        Owner = Find(declared.Name, null, DocField.Owner)?.Value ?? declared.Owner,
        Tags = Find(declared.Name, null, DocField.Tags)?.Tags ?? declared.Tags,
    };

    /// <summary>A column's docs with its edits in force over them.</summary>
    public ColumnInfo Apply(TableName table, ColumnInfo declared) => declared with
    {
        Description = Find(table, declared.Name, DocField.Description)?.Value ?? declared.Description,
        Tags = Find(table, declared.Name, DocField.Tags)?.Tags ?? declared.Tags,
    };

    private DocEdit? Find(TableName table, string? column, DocField field) => _current.GetValueOrDefault((table, column ?? string.Empty, field));

    /// <summary>Tables compare as <see cref="TableName"/> does, columns ignoring case, as DuckDB compares identifiers.</summary>
    private sealed class KeyComparer : IEqualityComparer<(TableName Table, string Column, DocField Field)>
    {
        public bool Equals((TableName Table, string Column, DocField Field) x, (TableName Table, string Column, DocField Field) y) =>
            x.Table.Equals(y.Table) && string.Equals(x.Column, y.Column, StringComparison.OrdinalIgnoreCase) && x.Field == y.Field;

        public int GetHashCode((TableName Table, string Column, DocField Field) obj) =>
            HashCode.Combine(obj.Table, StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Column), obj.Field);
    }
}
