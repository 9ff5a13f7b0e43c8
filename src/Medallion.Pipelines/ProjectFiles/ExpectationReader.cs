using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Catalog;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads expectation lists. Each item is a mapping with one rule key plus optional <c>severity</c>
/// and <c>name</c>; the rule's value is either a mapping of its arguments or a shorthand (columns for
/// <c>not_null</c>/<c>unique</c>, values for <c>accepted_values</c>, the pattern for <c>regex</c>, ...).
/// Under a column (<c>columns: x: expect:</c>) the column is implied and a bare rule name is enough.
/// </summary>
internal static class ExpectationReader
{
    public const ExpectationSeverity DefaultSeverity = ExpectationSeverity.Fail;

    private static readonly string[] s_severities = ["warn", "quarantine", "fail"];

    private static readonly Dictionary<string, (ExpectationKind Kind, string[] Arguments)> s_rules = new(StringComparer.Ordinal)
    {
        ["not_null"] = (ExpectationKind.NotNull, ["columns"]),
        ["unique"] = (ExpectationKind.Unique, ["columns"]),
        ["accepted_values"] = (ExpectationKind.AcceptedValues, ["column", "values"]),
        ["range"] = (ExpectationKind.Range, ["column", "min", "max"]),
        ["regex"] = (ExpectationKind.Regex, ["column", "pattern"]),
        ["relationships"] = (ExpectationKind.Relationships, ["column", "to", "field"]),
        ["row_count"] = (ExpectationKind.RowCount, ["min", "max"]),
        ["freshness"] = (ExpectationKind.Freshness, ["column", "max_age"]),
        ["expression"] = (ExpectationKind.Expression, ["sql"]),
        ["schema"] = (ExpectationKind.Schema, ["columns"]),
    };

    private static readonly string[] s_itemKeys = [.. s_rules.Keys, "severity", "name"];

    public static List<Expectation> ReadList(YamlFile file, IReadOnlyList<YamlNode> items, string? column)
    {
        var expectations = new List<Expectation>();
        foreach (YamlNode item in items)
        {
            expectations.Add(ReadItem(file, item, column));
        }

        return expectations;
    }

    private static Expectation ReadItem(YamlFile file, YamlNode item, string? column)
    {
        if (item is YamlScalarNode scalar && column is not null)
        {
            string ruleName = file.Scalar(scalar, "expect");
            (ExpectationKind kind, _) = Rule(file, scalar, ruleName);
            return Build(file, kind, ruleName, null, null, column, DefaultSeverity, null, file.Location(item), item);
        }

        YamlMap map = file.Map(item, "an expectation", s_itemKeys);
        var rules = map.Entries.Where(e => s_rules.ContainsKey(e.Key)).ToList();
        if (rules.Count != 1)
        {
            throw file.Error(item, rules.Count == 0
                ? $"this expectation names no rule. Expected one of: {string.Join(", ", s_rules.Keys)}."
                : $"this expectation names {rules.Count} rules ({string.Join(", ", rules.Select(r => r.Key))}). Expected one rule per list item.");
        }

        (string key, YamlScalarNode keyNode, YamlNode value) = rules[0];
        ExpectationSeverity severity = map.Choice("severity", s_severities) is { } text ? Enum.Parse<ExpectationSeverity>(text, ignoreCase: true) : DefaultSeverity;
        (ExpectationKind ruleKind, string[] arguments) = Rule(file, keyNode, key);
        if (severity == ExpectationSeverity.Quarantine && IsTableLevel(ruleKind))
        {
            throw file.Error(
                map.Value("severity")!,
                $"the '{key}' rule checks the table as a whole, so no row breaks it and there is nothing to quarantine. Expected severity warn or fail.",
                ErrorCode.QualityRuleInvalid);
        }

        YamlMap? args = value is YamlMappingNode ? file.Map(value, $"the '{key}' rule", arguments) : null;
        YamlNode? shorthand = args is null && !YamlMap.IsNull(value) ? value : null;
        return Build(file, ruleKind, key, args, shorthand, column, severity, map.String("name"), file.Location(item), keyNode);
    }

    /// <summary>Rules that hold or break for the whole table (not row by row), so they cannot quarantine rows.</summary>
    public static bool IsTableLevel(ExpectationKind kind) =>
        kind is ExpectationKind.RowCount or ExpectationKind.Freshness or ExpectationKind.Schema;

    private static (ExpectationKind Kind, string[] Arguments) Rule(YamlFile file, YamlNode node, string name) =>
        s_rules.TryGetValue(name, out (ExpectationKind, string[]) rule)
            ? rule
            : throw file.Error(node, $"unknown rule '{name}'.{NameSuggester.DidYouMean(name, s_rules.Keys)} Expected one of: {string.Join(", ", s_rules.Keys)}.");

    private static Expectation Build(
        YamlFile file, ExpectationKind kind, string key, YamlMap? args, YamlNode? shorthand, string? impliedColumn,
        ExpectationSeverity severity, string? name, SourceLocation location, YamlNode at)
    {
        IReadOnlyList<string> Shorthand() => shorthand is null ? [] : file.Strings(shorthand, key);

        string NeedColumn() => args?.String("column") ?? impliedColumn
            ?? throw file.Error(at, $"the '{key}' rule needs a column. Expected '{key}: {{column: <name>, ...}}' or the rule under 'columns: <name>: expect:'.");

        IReadOnlyList<string> columns = [];
        IReadOnlyList<string> values = [];
        string? min = null, max = null, pattern = null, toColumn = null, sql = null;
        TableName? to = null;
        TimeSpan? maxAge = null;
        Dictionary<string, string>? schema = null;
        switch (kind)
        {
            case ExpectationKind.NotNull:
            case ExpectationKind.Unique:
                columns = args?.Strings("columns") is { Count: > 0 } listed ? listed : Shorthand() is { Count: > 0 } shortList ? shortList : impliedColumn is null ? [] : [impliedColumn];
                if (columns.Count == 0)
                {
                    throw file.Error(at, $"the '{key}' rule needs columns. Expected '{key}: [column, ...]'.");
                }

                break;
            case ExpectationKind.AcceptedValues:
                columns = [NeedColumn()];
                values = args?.Strings("values") is { Count: > 0 } v ? v : Shorthand();
                if (values.Count == 0)
                {
                    throw file.Error(at, $"the '{key}' rule needs values. Expected 'values: [a, b, ...]'.");
                }

                break;
            case ExpectationKind.Range:
            case ExpectationKind.RowCount:
                if (kind == ExpectationKind.Range)
                {
                    columns = [NeedColumn()];
                }

                min = args?.String("min");
                max = args?.String("max");
                if (min is null && max is null)
                {
                    throw file.Error(at, $"the '{key}' rule needs 'min', 'max' or both. Expected '{key}: {{{(kind == ExpectationKind.Range ? "column: <name>, " : string.Empty)}min: 0, max: 100}}'.");
                }

                if (kind == ExpectationKind.RowCount)
                {
                    _ = args!.Long("min");
                    _ = args.Long("max");
                }

                break;
            case ExpectationKind.Regex:
                columns = [NeedColumn()];
                pattern = args?.String("pattern") ?? (shorthand is null ? null : file.Scalar(shorthand, key))
                    ?? throw file.Error(at, $"the '{key}' rule needs a pattern. Expected 'pattern: ^[A-Z]+$'.");
                break;
            case ExpectationKind.Relationships:
                columns = [NeedColumn()];
                string target = args?.String("to") ?? (shorthand is null ? null : file.Scalar(shorthand, key))
                    ?? throw file.Error(at, $"the '{key}' rule needs 'to'. Expected 'to: silver.customers' (and 'field:' when the key column has another name).");
                if (!TableName.TryParse(target, out TableName toTable))
                {
                    throw file.Error(args?.Value("to") ?? shorthand ?? at, $"'to' must name a table as namespace.name, but found '{target}'.");
                }

                to = toTable;
                toColumn = args?.String("field") ?? columns[0];
                break;
            case ExpectationKind.Freshness:
                columns = [NeedColumn()];
                YamlNode ageNode = args?.Value("max_age") ?? shorthand
                    ?? throw file.Error(at, $"the '{key}' rule needs 'max_age'. Expected 'max_age: 24h' (s, m, h, d or w).");
                maxAge = file.Duration(ageNode, "max_age");
                break;
            case ExpectationKind.Expression:
                sql = args?.String("sql") ?? (shorthand is null ? null : file.Scalar(shorthand, key))
                    ?? throw file.Error(at, $"the '{key}' rule needs 'sql'. Expected 'sql: amount >= 0'.");
                break;
            case ExpectationKind.Schema:
                YamlNode columnsNode = args?.Value("columns") ?? shorthand
                    ?? throw file.Error(at, $"the '{key}' rule needs columns. Expected 'columns: {{order_id: BIGINT, amount: DECIMAL(18,2)}}'.");
                schema = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                if (columnsNode is YamlMappingNode)
                {
                    foreach ((string columnName, _, YamlNode type) in file.Map(columnsNode, "the schema columns", []).Entries)
                    {
                        schema[columnName] = YamlMap.IsNull(type) ? string.Empty : file.Scalar(type, columnName);
                    }
                }
                else
                {
                    foreach (string columnName in file.Strings(columnsNode, "columns"))
                    {
                        schema[columnName] = string.Empty;
                    }
                }

                columns = [.. schema.Keys];
                break;
        }

        string ruleName = name ?? kind switch
        {
            ExpectationKind.RowCount or ExpectationKind.Schema => key,
            ExpectationKind.Expression => $"{key}({sql})",
            ExpectationKind.Relationships => $"{key}({columns[0]} -> {to}.{toColumn})",
            _ => $"{key}({string.Join(", ", columns)})",
        };
        return new Expectation(kind, ruleName, severity, columns, values, min, max, pattern, to, toColumn, maxAge, sql, schema, location);
    }
}
