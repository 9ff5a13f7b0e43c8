using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Catalog;

/// <summary>Which doc of a table or column an edit changes.</summary>
public enum DocField
{
    /// <summary>What the table or column holds.</summary>
    Description,

    /// <summary>Who to ask about the table (tables only).</summary>
    Owner,

    /// <summary>The table's or column's tags.</summary>
    Tags,
}

/// <summary>
/// One edit of a doc made in the catalog rather than in the project files: the current value of a field is its latest
/// edit, and an edit without a value gives the field back to the project files.
/// </summary>
/// <param name="Table">The table edited.</param>
/// <param name="Column">The column edited, lower-cased as the catalog keys it; null for the table itself.</param>
/// <param name="Field">The doc edited.</param>
/// <param name="Value">The new text (for <see cref="DocField.Tags"/>, the tags separated by commas); null to go back to the project files' value.</param>
/// <param name="EditedBy">Who made it.</param>
/// <param name="EditedAt">When.</param>
public sealed record DocEdit(TableName Table, string? Column, DocField Field, string? Value, string EditedBy, DateTimeOffset EditedAt)
{
    /// <summary>The tags of a <see cref="DocField.Tags"/> edit's value: trimmed, without empty or repeated ones.</summary>
    public IReadOnlyList<string> Tags => SplitTags(Value);

    /// <summary>Tags written as one text separated by commas, trimmed, without empty or repeated ones (ignoring case).</summary>
    public static IReadOnlyList<string> SplitTags(string? text) =>
        [.. (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase)];
}
