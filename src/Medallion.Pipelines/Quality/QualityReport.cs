using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

/// <summary>
/// What <see cref="ExpectationChecker.CheckAsync"/> found: one result per expectation, whether a <c>fail</c> rule
/// broke, and the SQL that splits the checked rows into those to commit and those to quarantine.
/// </summary>
/// <remarks>
/// The split SQL re-evaluates the broken <c>quarantine</c> rules on the relation it is given, so run it on the
/// same, unchanged rows that were checked: <c>PassingRowsSql</c> and <c>QuarantineRowsSql</c> then partition them
/// exactly (every row lands in one of the two). Only <c>quarantine</c>-severity rules move rows; a row breaking
/// several is quarantined once, with all their names in <c>_quarantine_rules</c>.
/// </remarks>
public sealed class QualityReport
{
    private readonly IReadOnlyList<RowRule> _quarantine;
    private readonly string _runId;
    private readonly DateTimeOffset _checkedAt;

    internal QualityReport(TableName model, IReadOnlyList<ExpectationResult> results, IReadOnlyList<RowRule> quarantine, long quarantinedRows,
        IReadOnlyDictionary<string, long> distinctCounts, string runId, DateTimeOffset checkedAt)
    {
        Model = model;
        Results = results;
        _quarantine = quarantine;
        QuarantinedRows = quarantinedRows;
        DistinctCounts = distinctCounts;
        _runId = runId;
        _checkedAt = checkedAt;
    }

    /// <summary>The model whose rows were checked.</summary>
    public TableName Model { get; }

    /// <summary>One result per expectation, in the order the expectations were given.</summary>
    public IReadOnlyList<ExpectationResult> Results { get; }

    /// <summary>True when a <c>fail</c>-severity rule broke: nothing may be committed.</summary>
    public bool Failed => Results.Any(r => r.Broken && r.Rule.Severity == ExpectationSeverity.Fail);

    /// <summary>How many rows <see cref="QuarantineRowsSql"/> selects (each row once, however many rules it broke).</summary>
    public long QuarantinedRows { get; }

    /// <summary>
    /// The estimated number of distinct values (NULL not counted) of each column the check was asked to estimate, by column
    /// name (case-insensitive), over the rows <see cref="PassingRowsSql"/> selects. Empty when none were asked for, or
    /// when no row-level rule scanned the rows.
    /// </summary>
    public IReadOnlyDictionary<string, long> DistinctCounts { get; }

    /// <summary>
    /// A SELECT of the rows to commit: every row of <paramref name="relation"/> except those breaking a
    /// <c>quarantine</c> rule, with the relation's columns unchanged.
    /// </summary>
    /// <param name="relation">The checked relation, written as in a FROM clause (quoted where it needs it).</param>
    public string PassingRowsSql(string relation)
    {
        ArgumentException.ThrowIfNullOrEmpty(relation);
        return _quarantine.Count == 0
            ? $"SELECT * FROM {relation}"
            : $"SELECT {RowRuleSql.Columns(_quarantine)} FROM {RowRuleSql.From(_quarantine, relation)} WHERE NOT ({RowRuleSql.AnyFails(_quarantine, relation)})";
    }

    /// <summary>
    /// A SELECT of the quarantined rows: the relation's columns plus <c>_quarantine_rules</c> (<c>VARCHAR[]</c>, the
    /// names of the <c>quarantine</c> rules the row broke), <c>_quarantine_run_id</c> (<c>VARCHAR</c>) and
    /// <c>_quarantined_at</c> (<c>TIMESTAMPTZ</c>, the check's time); null when no row is quarantined.
    /// </summary>
    /// <param name="relation">The checked relation, written as in a FROM clause (quoted where it needs it).</param>
    public string? QuarantineRowsSql(string relation)
    {
        ArgumentException.ThrowIfNullOrEmpty(relation);
        if (_quarantine.Count == 0)
        {
            return null;
        }

        string rules = string.Join(" || ", _quarantine.Select(rule =>
            $"CASE WHEN {rule.Fails(relation)} THEN [{DuckDbConnection.QuoteLiteral(rule.Rule.Name)}] ELSE CAST([] AS VARCHAR[]) END"));
        string at = _checkedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";
        return $"SELECT {RowRuleSql.Columns(_quarantine)}, CAST(({rules}) AS VARCHAR[]) AS {SystemColumns.QuarantineRules}, " +
            $"CAST({DuckDbConnection.QuoteLiteral(_runId)} AS VARCHAR) AS {SystemColumns.QuarantineRunId}, CAST({DuckDbConnection.QuoteLiteral(at)} AS TIMESTAMPTZ) AS {SystemColumns.QuarantinedAt} " +
            $"FROM {RowRuleSql.From(_quarantine, relation)} WHERE {RowRuleSql.AnyFails(_quarantine, relation)}";
    }

    /// <summary>The results as catalog records, under the check's run id and time.</summary>
    public IReadOnlyList<QualityResultRecord> ToRecords() =>
        [.. Results.Select(r => new QualityResultRecord(
            _runId, Model, r.Rule.Name, SeverityName(r.Rule.Severity), r.Passed, r.FailingRows, r.SampleRowsJson, _checkedAt)
        {
            NotChecked = r.NotChecked,
        })];

    /// <summary>The severity as written in project files: <c>warn</c>, <c>quarantine</c> or <c>fail</c>.</summary>
    public static string SeverityName(ExpectationSeverity severity) => severity switch
    {
        ExpectationSeverity.Warn => "warn",
        ExpectationSeverity.Quarantine => "quarantine",
        _ => "fail",
    };
}
