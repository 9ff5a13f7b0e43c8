using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>A table's docs as edited in the catalog (see <see cref="Lakehouse.GetDocsAsync"/>).</summary>
/// <param name="Table">The table.</param>
/// <param name="InForce">Each field an edit overrides now, with the project files' value it overrides.</param>
/// <param name="History">The edits of the table and its columns, newest first, reverts included.</param>
public sealed record TableDocs(TableName Table, IReadOnlyList<DocChange> InForce, IReadOnlyList<DocEdit> History);

/// <summary>An edit in force and what the project files say of the same field.</summary>
/// <param name="Edit">The edit, its value shown instead of the files'.</param>
/// <param name="Declared">The project files' value it overrides (tags separated by commas); null when they say nothing.</param>
public sealed record DocChange(DocEdit Edit, string? Declared);
