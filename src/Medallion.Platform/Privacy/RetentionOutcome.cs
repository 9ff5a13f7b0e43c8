using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform.Privacy;

/// <summary>What a retention pass did to one table (see <see cref="Lakehouse.ApplyRetentionAsync"/>).</summary>
/// <param name="Table">The table of the project (whichever physical table of it, see <see cref="Environments"/>).</param>
/// <param name="Column">The column that dates its rows.</param>
/// <param name="Keep">The retention as written (<c>5y</c>).</param>
/// <param name="Cutoff">Rows dated before this went.</param>
/// <param name="Rows">Rows deleted (or, dry, that would be).</param>
/// <param name="CommittedVersion">The delete's commit; null when nothing was deleted or in a dry run.</param>
public sealed record RetentionOutcome(TableName Table, string Column, string Keep, DateTimeOffset Cutoff, long Rows, long? CommittedVersion)
{
    /// <summary>
    /// What points at the physical table when it is not prod's: environments (<c>dev</c>), kept previous sets
    /// (<c>prod~previous</c>), or <see cref="Lakehouse.Unpointed"/>; empty for prod's table.
    /// </summary>
    public IReadOnlyList<string> Environments { get; init; } = [];

    /// <summary>The table as reports name it: <c>silver.events</c> for prod's, <c>silver.events (dev)</c> for another.</summary>
    public string DisplayName => SubjectTableMatch.Display(Table, Environments);
}
