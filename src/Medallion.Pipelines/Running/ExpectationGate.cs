using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Running;

/// <summary>Checks a model's candidate rows with <see cref="ExpectationChecker"/>.</summary>
internal sealed class ExpectationGate : IQualityGate
{
    public static readonly ExpectationGate Instance = new();

    public async Task<QualityVerdict> CheckAsync(DuckDbConnection connection, string relation, TableName model, IReadOnlyList<Expectation> expectations, IReadOnlyList<string> distinctColumns, bool newRowsOnly, string runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (expectations.Count == 0)
        {
            // Without rules nothing scans the rows, and a scan only for the estimates is not worth its cost on every build.
            return new QualityVerdict(false, string.Empty, $"SELECT * FROM {relation}", null, [], new Dictionary<string, long>());
        }

        QualityReport report = await ExpectationChecker.CheckAsync(connection, relation, model, expectations, runId, now, distinctColumns, newRowsOnly, cancellationToken).ConfigureAwait(false);
        List<ExpectationResult> broken = report.Results.Where(r => r.Broken).ToList();
        string summary = broken.Count == 0
            ? string.Empty
            : "expectations broken: " + string.Join(", ", broken.Select(r => $"{r.Rule.Name} [{QualityReport.SeverityName(r.Rule.Severity)}] ({r.FailingRows} rows)"));
        return new QualityVerdict(report.Failed, summary, report.PassingRowsSql(relation), report.QuarantineRowsSql(relation), report.ToRecords(), report.DistinctCounts);
    }
}
