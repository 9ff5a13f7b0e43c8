using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

/// <summary>
/// Checks a model's expectations against rows visible on a DuckDB connection, with SQL generated from the rules
/// (identifiers quoted, literals escaped and typed as the column).
/// </summary>
/// <remarks>
/// <para>NULL semantics follow dbt and Great Expectations: only <c>not_null</c> fails on NULL; value rules
/// (<c>accepted_values</c>, <c>range</c>, <c>regex</c>, <c>relationships</c>, <c>expression</c>) let NULLs pass, and an
/// expression that is NULL for a row does not fail it.</para>
/// <para><c>unique</c> fails every row of a duplicated key (all of them, since none is more right than the others), so
/// with <c>quarantine</c> severity every copy moves out and the key is committed only once it is fixed upstream.
/// Rows whose key columns are all NULL are not checked; otherwise NULL equals NULL in a key, as in GROUP BY.</para>
/// <para><c>schema</c> checks that the expected columns exist with the expected types (compared as DuckDB names
/// them, so <c>INT</c> matches <c>INTEGER</c>); extra columns are allowed.</para>
/// <para>Row-level rules are counted in one scan of the relation; samples are read only for rules that broke.</para>
/// <para>That scan can also estimate the distinct values of chosen columns (a HyperLogLog sketch, see
/// <see cref="DistinctSketch"/>, about 1.6 % off), which costs a hash per value rather than another pass over the rows.
/// There is no such scan, and so no estimate, when every rule is table-level.</para>
/// </remarks>
public static partial class ExpectationChecker
{
    /// <summary>How many failing rows a result keeps as its sample.</summary>
    public const int SampleSize = 5;

    /// <summary>
    /// Checks <paramref name="expectations"/> against the rows of <paramref name="relation"/>. Relationship rules read
    /// the referenced table through the same connection (<c>namespace.table</c>); one referencing the model itself
    /// reads <paramref name="relation"/>.
    /// </summary>
    /// <param name="connection">An open connection on which <paramref name="relation"/> and referenced tables are visible.</param>
    /// <param name="relation">A table or view, written as in a FROM clause (quoted where it needs it), e.g. the temp table holding a model's candidate result.</param>
    /// <param name="model">The model the rows belong to (for results and messages).</param>
    /// <param name="expectations">The rules to check.</param>
    /// <param name="runId">The run the results belong to.</param>
    /// <param name="now">The check's time: the reference for <c>freshness</c>, and <c>_quarantined_at</c>.</param>
    /// <param name="distinctColumns">Columns of <paramref name="relation"/> whose distinct values are estimated in the scan that
    /// counts failing rows, over the rows not quarantined (see <see cref="QualityReport.DistinctCounts"/>); none when null.</param>
    /// <param name="newRowsOnly">
    /// The relation holds only the rows an incremental build adds (the batch), not the table. When it is empty, every rule
    /// about rows (the row rules, <c>row_count</c> and <c>freshness</c>) is reported as not checked
    /// (<see cref="ExpectationResult.NotChecked"/> <c>no new rows</c>) rather than as held: nothing was there to check.
    /// <c>schema</c> is about the columns and is checked either way.
    /// </param>
    /// <param name="cancellationToken">Interrupts the queries.</param>
    /// <exception cref="MedallionException">
    /// A rule cannot be checked on these rows; the message names the model, the rule and where it is written:
    /// <see cref="ErrorCode.QualityColumnMissing"/> (with the available columns), <see cref="ErrorCode.QualityRuleInvalid"/>
    /// (a bound, value, type or expression that does not fit), <see cref="ErrorCode.QualityRuleCannotRun"/> (a missing
    /// referenced table, a pattern or expression DuckDB rejects).
    /// </exception>
    public static async Task<QualityReport> CheckAsync(
        DuckDbConnection connection, string relation, TableName model, IReadOnlyList<Expectation> expectations, string runId, DateTimeOffset now,
        IReadOnlyList<string>? distinctColumns = null, bool newRowsOnly = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(relation);
        ArgumentNullException.ThrowIfNull(expectations);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();

        CheckContext context = await CheckContext.OpenAsync(connection, relation, model, cancellationToken).ConfigureAwait(false);
        if (newRowsOnly && await context.ScalarAsync($"SELECT 1 FROM {relation} LIMIT 1", cancellationToken).ConfigureAwait(false) is null)
        {
            return await NoNewRowsAsync(context, expectations, runId, now, cancellationToken).ConfigureAwait(false);
        }

        // Compile every rule before scanning any data, so a mistake in the last rule is reported before a long scan.
        var rowRules = new List<RowRule>();
        foreach (Expectation expectation in expectations)
        {
            if (!IsTableLevel(expectation.Kind))
            {
                rowRules.Add(await CompileAsync(context, expectation, rowRules.Count, cancellationToken).ConfigureAwait(false));
            }
        }

        List<RowRule> quarantineRules = [.. rowRules.Where(r => r.Rule.Severity == ExpectationSeverity.Quarantine)];
        List<RelationColumn> sketched = [.. (distinctColumns ?? []).Select(name => CheckContext.Find(context.Columns, name)
            ?? throw new ArgumentException($"'{name}' is not a column of {relation} ({string.Join(", ", context.Columns.Select(c => c.Name))}), so its distinct values cannot be estimated.", nameof(distinctColumns)))];
        (long[] counts, IReadOnlyDictionary<string, long> distinct) = await CountAsync(context, rowRules, quarantineRules, sketched, cancellationToken).ConfigureAwait(false);
        var rowResults = new Dictionary<Expectation, ExpectationResult>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < rowRules.Count; i++)
        {
            string sample = counts[i] == 0 ? "[]" : await SampleAsync(context, rowRules[i], cancellationToken).ConfigureAwait(false);
            rowResults[rowRules[i].Rule] = new ExpectationResult(rowRules[i].Rule, counts[i] == 0, counts[i], sample);
        }

        var results = new List<ExpectationResult>(expectations.Count);
        foreach (Expectation expectation in expectations)
        {
            results.Add(rowResults.TryGetValue(expectation, out ExpectationResult? result)
                ? result
                : await CheckTableAsync(context, expectation, now, cancellationToken).ConfigureAwait(false));
        }

        List<RowRule> broken = [.. quarantineRules.Where(r => rowResults[r.Rule].FailingRows > 0)];
        long quarantined = quarantineRules.Count == 0 ? 0 : counts[rowRules.Count];
        return new QualityReport(model, results, broken, quarantined, distinct, runId, now);
    }

    /// <summary>An incremental build without new rows: only <c>schema</c> has something to check (the batch's columns).</summary>
    private static async Task<QualityReport> NoNewRowsAsync(CheckContext context, IReadOnlyList<Expectation> expectations, string runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var results = new List<ExpectationResult>(expectations.Count);
        foreach (Expectation expectation in expectations)
        {
            results.Add(expectation.Kind == ExpectationKind.Schema
                ? await CheckTableAsync(context, expectation, now, cancellationToken).ConfigureAwait(false)
                : ExpectationResult.NoNewRows(expectation));
        }

        return new QualityReport(context.Model, results, [], 0, new Dictionary<string, long>(), runId, now);
    }

    /// <summary>
    /// True for rules that hold or break for the table as a whole (<c>row_count</c>, <c>freshness</c>, <c>schema</c>):
    /// they report no failing rows and cannot quarantine.
    /// </summary>
    public static bool IsTableLevel(ExpectationKind kind) => ProjectFiles.ExpectationReader.IsTableLevel(kind);

    /// <summary>
    /// Failing rows per rule, plus (when there are quarantine rules) the rows breaking any of them, in one scan, which also
    /// estimates the distinct values of the <paramref name="sketched"/> columns. When the scan fails, the rules run one by
    /// one so the error names the rule that caused it.
    /// </summary>
    private static async Task<(long[] Counts, IReadOnlyDictionary<string, long> Distinct)> CountAsync(
        CheckContext context, List<RowRule> rules, List<RowRule> quarantineRules, List<RelationColumn> sketched, CancellationToken cancellationToken)
    {
        var distinct = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        if (rules.Count == 0)
        {
            return ([], distinct);
        }

        List<string> aggregates = [.. rules.Select(r => $"count(*) FILTER (WHERE {r.Fails(context.Relation)})")];
        if (quarantineRules.Count > 0)
        {
            aggregates.Add($"count(*) FILTER (WHERE {RowRuleSql.AnyFails(quarantineRules, context.Relation)})");
        }

        string from = RowRuleSql.From(rules, context.Relation);
        if (sketched.Count > 0)
        {
            // Over the rows PassingRowsSql keeps (rules that broke nothing select no rows), so the estimates describe what is committed.
            string passing = quarantineRules.Count == 0 ? string.Empty : $" FILTER (WHERE NOT ({RowRuleSql.AnyFails(quarantineRules, context.Relation)}))";
            List<string> sketches = [.. sketched.Select(c => DistinctSketch.Aggregate(c.Quoted, passing))];
            try
            {
                (long[] counts, string?[] sketchBits) = await ScanAsync(context, $"SELECT {string.Join(", ", aggregates.Concat(sketches))} FROM {from}", aggregates.Count, sketches.Count, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < sketched.Count; i++)
                {
                    distinct[sketched[i].Name] = DistinctSketch.Estimate(sketchBits[i]);
                }

                return (counts, distinct);
            }
            catch (DuckDbException exception) when (exception.ErrorType != DuckDbErrorType.Interrupt)
            {
                // An estimate must never fail a check: the rules are counted without it, and their own errors reported as usual.
            }
        }

        try
        {
            return (await CountRowsAsync(context, $"SELECT {string.Join(", ", aggregates)} FROM {from}", aggregates.Count, cancellationToken).ConfigureAwait(false), distinct);
        }
        catch (DuckDbException exception) when (exception.ErrorType != DuckDbErrorType.Interrupt)
        {
            foreach (RowRule rule in rules)
            {
                try
                {
                    await CountRowsAsync(context, $"SELECT count(*) FILTER (WHERE {rule.Fails(context.Relation)}) FROM {RowRuleSql.From([rule], context.Relation)}", 1, cancellationToken).ConfigureAwait(false);
                }
                catch (DuckDbException ruleException) when (ruleException.ErrorType != DuckDbErrorType.Interrupt)
                {
                    throw context.Error(rule.Rule, ErrorCode.QualityRuleCannotRun, $"the rule cannot run on the rows of {context.Model}: {ruleException.Message}",
                        $"check the rule against the model's columns ({string.Join(", ", context.Columns.Select(c => c.Name))}) and types.", ruleException);
                }
            }

            throw;
        }
    }

    private static async Task<long[]> CountRowsAsync(CheckContext context, string sql, int count, CancellationToken cancellationToken) =>
        (await ScanAsync(context, sql, count, 0, cancellationToken).ConfigureAwait(false)).Counts;

    /// <summary>Runs a one-row aggregate of <paramref name="count"/> counts followed by <paramref name="sketches"/> sketches (text, or null).</summary>
    private static async Task<(long[] Counts, string?[] Sketches)> ScanAsync(CheckContext context, string sql, int count, int sketches, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = context.Connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var counts = new long[count];
            for (int i = 0; i < count; i++)
            {
                counts[i] = reader.GetInt64(i);
            }

            var bits = new string?[sketches];
            for (int i = 0; i < sketches; i++)
            {
                bits[i] = reader.IsDBNull(count + i) ? null : reader.GetString(count + i);
            }

            return (counts, bits);
        }
    }

    /// <summary>A few failing rows as a JSON array of objects (DuckDB's own JSON rendering of each value).</summary>
    private static async Task<string> SampleAsync(CheckContext context, RowRule rule, CancellationToken cancellationToken)
    {
        string order = rule.SampleOrder.Count == 0 ? string.Empty : $" ORDER BY {string.Join(", ", rule.SampleOrder)}";
        string rows = $"SELECT {RowRuleSql.Columns([rule])} FROM {RowRuleSql.From([rule], context.Relation)} WHERE {rule.Fails(context.Relation)}{order} LIMIT {SampleSize}";
        object? json = await context.ScalarAsync($"SELECT CAST(to_json(list(__sample)) AS VARCHAR) FROM ({rows}) AS __sample", cancellationToken).ConfigureAwait(false);
        return json as string ?? "[]";
    }
}
