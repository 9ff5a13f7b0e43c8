using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform.Privacy;

/// <summary>Everything the lakehouse holds about one person (see <see cref="Lakehouse.FindSubjectAsync"/>).</summary>
/// <param name="Subject">Whom the search was for.</param>
/// <param name="Tables">
/// The tables holding the person's rows, in lineage order (sources first): prod's, and the physical tables of other
/// environments, kept previous sets and unpointed tables awaiting the janitor (see <see cref="SubjectTableMatch.Environments"/>).
/// </param>
/// <param name="Searched">Every table of prod searched, in the same order, matching or not.</param>
public sealed record SubjectSearch(SubjectIdentifier Subject, IReadOnlyList<SubjectTableMatch> Tables, IReadOnlyList<TableName> Searched)
{
    /// <summary>The other physical tables searched (<see cref="SubjectTableMatch.DisplayName"/>, e.g. <c>silver.customers (dev)</c>), matching or not.</summary>
    public IReadOnlyList<string> SearchedElsewhere { get; init; } = [];

    /// <summary>The version of each physical table searched, by location, as the search read it.</summary>
    internal IReadOnlyDictionary<string, long> Versions { get; init; } = new Dictionary<string, long>();
}
