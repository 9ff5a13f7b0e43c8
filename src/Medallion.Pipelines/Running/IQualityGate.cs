using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>The verdict of a model's expectations on its candidate rows.</summary>
/// <param name="Failed">A <c>fail</c>-severity rule broke: nothing may be committed.</param>
/// <param name="Summary">The broken rules, for the model's error or notes; empty when all held.</param>
/// <param name="PassingRowsSql">A SELECT of the candidate rows to commit.</param>
/// <param name="QuarantineRowsSql">A SELECT of the rows to append to <c>&lt;ns&gt;.&lt;name&gt;_quarantine</c>; null when none.</param>
/// <param name="Records">The per-rule results for the catalog.</param>
/// <param name="DistinctCounts">Estimated distinct values of the passing rows, by column: those asked for, when a scan of the rows made them.</param>
internal sealed record QualityVerdict(bool Failed, string Summary, string PassingRowsSql, string? QuarantineRowsSql, IReadOnlyList<QualityResultRecord> Records, IReadOnlyDictionary<string, long> DistinctCounts);

/// <summary>Checks a model's expectations on its candidate rows before the commit (the seam the expectation checker plugs into).</summary>
internal interface IQualityGate
{
    /// <summary>
    /// Checks <paramref name="expectations"/> on <paramref name="relation"/>, estimating the distinct values of <paramref name="distinctColumns"/>
    /// in the same scan when there is one; with <paramref name="newRowsOnly"/> the relation is an incremental build's new rows, and
    /// none means the rules about rows were not checked.
    /// </summary>
    Task<QualityVerdict> CheckAsync(DuckDbConnection connection, string relation, TableName model, IReadOnlyList<Expectation> expectations, IReadOnlyList<string> distinctColumns, bool newRowsOnly, string runId, DateTimeOffset now, CancellationToken cancellationToken);
}
