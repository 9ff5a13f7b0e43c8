using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform.Privacy;

/// <summary>Everything the lakehouse holds about one person (see <see cref="Lakehouse.FindSubjectAsync"/>).</summary>
/// <param name="Subject">Whom the search was for.</param>
/// <param name="Tables">The tables holding the person's rows, in lineage order (sources first).</param>
/// <param name="Searched">Every table searched, in the same order, matching or not.</param>
public sealed record SubjectSearch(SubjectIdentifier Subject, IReadOnlyList<SubjectTableMatch> Tables, IReadOnlyList<TableName> Searched)
{
    /// <summary>The version of each table searched, as the search read it.</summary>
    internal IReadOnlyDictionary<TableName, long> Versions { get; init; } = new Dictionary<TableName, long>();
}
