using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>One table of a project: what the project files, the catalog and the Delta log say about it.</summary>
/// <param name="Name">The table.</param>
/// <param name="Kind">Where it comes from.</param>
/// <param name="Location">Where its files live.</param>
/// <param name="Version">The current Delta version; null when the table has not been built.</param>
/// <param name="Rows">Rows at the current version; null when not built.</param>
/// <param name="UpdatedAt">When the current version was committed; null when not built.</param>
/// <param name="Owner">Who to ask about it.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Description">What it holds.</param>
public sealed record TableSummary(
    TableName Name,
    TableKind Kind,
    string Location,
    long? Version,
    long? Rows,
    DateTimeOffset? UpdatedAt,
    string? Owner,
    IReadOnlyList<string> Tags,
    string? Description)
{
    /// <summary>Whether the table has been written at least once (it has a Delta version).</summary>
    public bool Built => Version is not null;
}
