using System;
using Medallion.Catalog;

namespace Medallion.Platform.Privacy;

/// <summary>What a retention pass did to one table (see <see cref="Lakehouse.ApplyRetentionAsync"/>).</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column that dates its rows.</param>
/// <param name="Keep">The retention as written (<c>5y</c>).</param>
/// <param name="Cutoff">Rows dated before this went.</param>
/// <param name="Rows">Rows deleted (or, dry, that would be).</param>
/// <param name="CommittedVersion">The delete's commit; null when nothing was deleted or in a dry run.</param>
public sealed record RetentionOutcome(TableName Table, string Column, string Keep, DateTimeOffset Cutoff, long Rows, long? CommittedVersion);
