using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines.Privacy;

namespace Medallion.Platform.Privacy;

/// <summary>A text column whose sample holds personal identifiers (see <see cref="Lakehouse.ScanPiiAsync"/>).</summary>
/// <param name="Table">The table.</param>
/// <param name="Kind">Where the table comes from.</param>
/// <param name="Column">The column.</param>
/// <param name="Classification">Its classification today (project files, else catalog); null when none.</param>
/// <param name="Sampled">Non-null values sampled.</param>
/// <param name="Shares">Kinds found, the largest share first.</param>
/// <param name="Detected">The kind most values are, when they are at least half of them; null otherwise.</param>
/// <param name="SuggestedClassification">The classification to write (<c>pii</c>) when <paramref name="Detected"/> is set and the column has none.</param>
/// <param name="ModelFile">The model file a suggestion can be written into (relative to the project); null for sources and quarantine tables.</param>
public sealed record PiiColumnFinding(
    TableName Table,
    TableKind Kind,
    string Column,
    string? Classification,
    long Sampled,
    IReadOnlyList<PiiShare> Shares,
    PiiKind? Detected,
    string? SuggestedClassification,
    string? ModelFile);
