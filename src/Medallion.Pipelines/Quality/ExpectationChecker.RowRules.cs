using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

public static partial class ExpectationChecker
{
    /// <summary>Compiles a row-level rule to its failing-row predicate, checking its columns, literals, pattern and references first.</summary>
    private static async Task<RowRule> CompileAsync(CheckContext context, Expectation rule, int index, CancellationToken cancellationToken)
    {
        List<RelationColumn> columns = [.. rule.Columns.Select(name => context.Column(rule, name))];
        switch (rule.Kind)
        {
            case ExpectationKind.NotNull:
            {
                string fails = string.Join(" OR ", columns.Select(c => $"{c.Quoted} IS NULL"));
                return Row(rule, fails);
            }

            case ExpectationKind.Unique:
            {
                string alias = DuckDbConnection.QuoteIdentifier("__medallion_key_rows_" + index.ToString(CultureInfo.InvariantCulture));
                string keys = string.Join(", ", columns.Select(c => c.Quoted));
                string allNull = string.Join(" AND ", columns.Select(c => $"{c.Quoted} IS NULL"));
                return new RowRule(rule, _ => $"NOT ({allNull}) AND {alias} > 1", $"count(*) OVER (PARTITION BY {keys})", alias, [.. columns.Select(c => c.Quoted)]);
            }

            case ExpectationKind.AcceptedValues:
            {
                RelationColumn column = columns[0];
                var values = new List<string>();
                foreach (string value in rule.Values)
                {
                    values.Add(await context.TypedLiteralAsync(rule, column, value, "accepted value", cancellationToken).ConfigureAwait(false));
                }

                return Row(rule, $"{column.Quoted} IS NOT NULL AND {column.Quoted} NOT IN ({string.Join(", ", values)})");
            }

            case ExpectationKind.Range:
            {
                RelationColumn column = columns[0];
                var outside = new List<string>();
                if (rule.Min is not null)
                {
                    outside.Add($"{column.Quoted} < {await context.TypedLiteralAsync(rule, column, rule.Min, "min", cancellationToken).ConfigureAwait(false)}");
                }

                if (rule.Max is not null)
                {
                    outside.Add($"{column.Quoted} > {await context.TypedLiteralAsync(rule, column, rule.Max, "max", cancellationToken).ConfigureAwait(false)}");
                }

                return Row(rule, $"COALESCE({string.Join(" OR ", outside)}, false)");
            }

            case ExpectationKind.Regex:
            {
                string pattern = DuckDbConnection.QuoteLiteral(rule.Pattern!);
                await RunOrExplainAsync(context, rule, $"SELECT regexp_full_match('', {pattern})", $"the pattern '{rule.Pattern}' is not a valid regular expression",
                    "write the pattern in RE2 syntax (DuckDB's regexp_full_match), which must match the whole value.", cancellationToken).ConfigureAwait(false);
                return Row(rule, $"COALESCE(NOT regexp_full_match(CAST({columns[0].Quoted} AS VARCHAR), {pattern}), false)");
            }

            case ExpectationKind.Relationships:
                return await CompileRelationshipAsync(context, rule, columns[0], cancellationToken).ConfigureAwait(false);

            case ExpectationKind.Expression:
            {
                await CheckSingleExpressionAsync(context, rule, cancellationToken).ConfigureAwait(false);
                return Row(rule, $"COALESCE(NOT ({rule.Sql}), false)");
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule.Kind, "Not a row-level rule.");
        }
    }

    private static RowRule Row(Expectation rule, string fails) => new(rule, _ => fails, null, null, []);

    private static async Task<RowRule> CompileRelationshipAsync(CheckContext context, Expectation rule, RelationColumn column, CancellationToken cancellationToken)
    {
        // A key referencing the model itself (a parent id) must find its parent among the rows being checked,
        // which may not be committed yet.
        bool self = rule.To!.Value.Equals(context.Model);
        string target = $"{DuckDbConnection.QuoteIdentifier(rule.To.Value.Namespace)}.{DuckDbConnection.QuoteIdentifier(rule.To.Value.Name)}";
        IReadOnlyList<RelationColumn> targetColumns;
        try
        {
            targetColumns = self ? context.Columns : await CheckContext.DescribeAsync(context.Connection, target, cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException exception) when (exception.ErrorType != DuckDbErrorType.Interrupt)
        {
            throw context.Error(rule, ErrorCode.QualityRuleCannotRun, $"the referenced table {rule.To} cannot be read: {exception.Message}",
                $"build {rule.To} first (it must exist before rows can be checked against it), or fix 'to:' in the rule.", exception);
        }

        RelationColumn key = CheckContext.Find(targetColumns, rule.ToColumn!) ?? throw context.Error(rule, ErrorCode.QualityRuleCannotRun,
            $"the referenced table {rule.To} has no column '{rule.ToColumn}'.{NameSuggester.DidYouMean(rule.ToColumn!, targetColumns.Select(c => c.Name))} Its columns: {string.Join(", ", targetColumns.Select(c => c.Name))}.",
            "name the referenced key column with 'field:'.");
        return new RowRule(
            rule,
            relation => $"COALESCE({column.Quoted} NOT IN (SELECT {key.Quoted} FROM {(self ? relation : target)} WHERE {key.Quoted} IS NOT NULL), false)",
            null,
            null,
            []);
    }

    private static async Task RunOrExplainAsync(CheckContext context, Expectation rule, string sql, string what, string help, CancellationToken cancellationToken)
    {
        try
        {
            await context.ScalarAsync(sql, cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException exception) when (exception.ErrorType != DuckDbErrorType.Interrupt)
        {
            throw context.Error(rule, ErrorCode.QualityRuleCannotRun, $"{what}: {exception.Message}", help, exception);
        }
    }

    /// <summary>
    /// The expression is pasted into generated SQL, so it must parse (with DuckDB's parser) as exactly one
    /// expression: no second statement, no FROM, WHERE or other clause smuggled in after a parenthesis.
    /// </summary>
    private static async Task CheckSingleExpressionAsync(CheckContext context, Expectation rule, CancellationToken cancellationToken)
    {
        string json = (string)(await context.ScalarAsync($"SELECT json_serialize_sql({DuckDbConnection.QuoteLiteral($"SELECT ({rule.Sql})")})", cancellationToken).ConfigureAwait(false))!;
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            string message = root.TryGetProperty("error_message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty;
            throw context.Error(rule, ErrorCode.QualityRuleInvalid, $"the expression '{rule.Sql}' does not parse: {message}",
                "write one SQL boolean over the model's columns, e.g. 'amount >= 0 AND status <> ''void'''.");
        }

        JsonElement statements = root.GetProperty("statements");
        bool single = statements.GetArrayLength() == 1
            && statements[0].GetProperty("node") is var node
            && node.GetProperty("type").GetString() == "SELECT_NODE"
            && node.GetProperty("select_list").GetArrayLength() == 1
            && node.GetProperty("from_table").GetProperty("type").GetString() == "EMPTY"
            && node.GetProperty("where_clause").ValueKind == JsonValueKind.Null
            && node.GetProperty("having").ValueKind == JsonValueKind.Null
            && node.GetProperty("qualify").ValueKind == JsonValueKind.Null
            && node.GetProperty("group_expressions").GetArrayLength() == 0
            && node.GetProperty("modifiers").GetArrayLength() == 0
            && node.GetProperty("cte_map").GetProperty("map").GetArrayLength() == 0;
        if (!single)
        {
            throw context.Error(rule, ErrorCode.QualityRuleInvalid, $"the expression '{rule.Sql}' is not a single SQL expression.",
                "write one SQL boolean over the model's columns (subqueries in parentheses are fine), with no ';' or clauses after it.");
        }
    }
}
