using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads a model's data contract: <c>contract: {enforced: true}</c>, and the constraints of its columns and of the model,
/// in dbt's shape (a bare name, or a mapping with <c>type</c>):
/// <code>
/// contract: {enforced: true}
/// columns:
///   order_id: {data_type: BIGINT, constraints: [not_null, unique]}
///   amount:
///     data_type: DECIMAL(18,2)
///     constraints: [{type: check, expression: amount >= 0}]
///   customer_id:
///     data_type: BIGINT
///     constraints: [{type: foreign_key, to: silver.customers, to_columns: [customer_id]}]
/// constraints:
///   - {type: primary_key, columns: [order_id, line]}
/// </code>
/// Every constraint also checks as a <c>fail</c> expectation before each commit (<see cref="ToExpectations"/>).
/// </summary>
internal static class ContractReader
{
    private static readonly string[] s_contractKeys = ["enforced"];
    private static readonly string[] s_constraintKeys = ["type", "expression", "to", "to_columns", "columns", "name", "warn_unenforced", "warn_unsupported"];

    private static readonly Dictionary<string, ConstraintKind> s_kinds = new(StringComparer.Ordinal)
    {
        ["not_null"] = ConstraintKind.NotNull,
        ["unique"] = ConstraintKind.Unique,
        ["primary_key"] = ConstraintKind.PrimaryKey,
        ["check"] = ConstraintKind.Check,
        ["foreign_key"] = ConstraintKind.ForeignKey,
    };

    /// <summary>The <c>contract:</c> setting; null when absent.</summary>
    public static ModelContract? ReadContract(YamlMap map)
    {
        if (map.Value("contract") is not { } node || YamlMap.IsNull(node))
        {
            return null;
        }

        YamlMap contract = map.File.Map(node, "'contract'", s_contractKeys);
        return new ModelContract(contract.Bool("enforced") ?? false, map.File.Location(node));
    }

    /// <summary>
    /// Checks that an enforced contract declares the model's shape: at least one column, each with its <c>data_type</c>.
    /// </summary>
    public static void CheckDeclared(ModelContract? contract, IReadOnlyList<ColumnDoc> columns, ErrorCode code = ErrorCode.ModelConfigInvalid)
    {
        if (contract is not { Enforced: true })
        {
            return;
        }

        SourceLocation at = contract.Location;
        if (columns.Count == 0)
        {
            throw new MedallionException(code,
                $"{at}: an enforced contract needs the model's columns. Expected 'columns:' with each output column and its 'data_type', e.g. 'order_id: {{data_type: BIGINT}}'.",
                location: at);
        }

        if (columns.Where(c => c.DataType is null).Select(c => c.Name).ToList() is { Count: > 0 } untyped)
        {
            throw new MedallionException(code,
                $"{at}: an enforced contract needs a 'data_type' for every declared column; {string.Join(", ", untyped.Select(c => $"'{c}'"))} {(untyped.Count == 1 ? "has" : "have")} none. Expected e.g. '{untyped[0]}: {{data_type: VARCHAR}}' (in a contract document, 'physicalType: VARCHAR').",
                location: at);
        }
    }

    /// <summary>The constraints listed under <paramref name="key"/>; <paramref name="column"/> is implied for a column's own list.</summary>
    public static List<ColumnConstraint> ReadList(YamlMap map, string key, string? column)
    {
        var constraints = new List<ColumnConstraint>();
        foreach (YamlNode item in map.List(key))
        {
            constraints.Add(ReadItem(map.File, item, column));
        }

        return constraints;
    }

    private static ColumnConstraint ReadItem(YamlFile file, YamlNode item, string? column)
    {
        if (item is YamlScalarNode scalar)
        {
            ConstraintKind bare = Kind(file, scalar, file.Scalar(scalar, "constraints"));
            if (bare is ConstraintKind.Check or ConstraintKind.ForeignKey)
            {
                throw file.Error(scalar, $"a '{scalar.Value}' constraint needs its arguments. Expected {Example(bare)}.", ErrorCode.ModelConfigInvalid);
            }

            return new ColumnConstraint(bare, Columns(file, scalar, bare, column, []), null, null, null, file.Location(item));
        }

        YamlMap map = file.Map(item, "a constraint", s_constraintKeys);
        YamlNode typeNode = map.Required("type", "a constraint", "type: not_null");
        ConstraintKind kind = Kind(file, typeNode, file.Scalar(typeNode, "type"));
        IReadOnlyList<string> columns = Columns(file, item, kind, column, map.Strings("columns"));
        string? expression = null;
        TableName? to = null;
        string? toColumn = null;
        switch (kind)
        {
            case ConstraintKind.Check:
                expression = map.String("expression") is { } text && text.Trim().Length > 0
                    ? text.Trim()
                    : throw file.Error(item, $"a 'check' constraint needs its SQL. Expected {Example(kind)}.", ErrorCode.ModelConfigInvalid);
                break;
            case ConstraintKind.ForeignKey:
                string target = map.RequiredString("to", "a 'foreign_key' constraint", "silver.customers");
                if (!TableName.TryParse(target, out TableName toTable))
                {
                    throw file.Error(map.Value("to")!, $"'{target}' is not a table name. Expected <namespace>.<name>, e.g. 'to: silver.customers'.", ErrorCode.ModelConfigInvalid);
                }

                IReadOnlyList<string> toColumns = map.Strings("to_columns");
                if (columns.Count != 1 || toColumns.Count > 1)
                {
                    throw file.Error(item, "a 'foreign_key' constraint checks one column against one column. Expected one column and 'to_columns: [<column>]'.", ErrorCode.ModelConfigInvalid);
                }

                to = toTable;
                toColumn = toColumns.Count == 1 ? toColumns[0] : columns[0];
                break;
        }

        return new ColumnConstraint(kind, columns, expression, to, toColumn, file.Location(item));
    }

    /// <summary>A column's constraint constrains that column; a model's names its columns (a check may name none).</summary>
    private static IReadOnlyList<string> Columns(YamlFile file, YamlNode at, ConstraintKind kind, string? column, IReadOnlyList<string> listed)
    {
        if (column is not null)
        {
            return listed.Count > 0
                ? throw file.Error(at, $"a constraint under column '{column}' constrains that column. Expected no 'columns' here, or the constraint under the model's own 'constraints:'.", ErrorCode.ModelConfigInvalid)
                : [column];
        }

        return listed.Count == 0 && kind != ConstraintKind.Check
            ? throw file.Error(at, $"a model's constraint names its columns. Expected e.g. '{{type: {Name(kind)}, columns: [order_id, line]}}'.", ErrorCode.ModelConfigInvalid)
            : listed;
    }

    private static ConstraintKind Kind(YamlFile file, YamlNode node, string name) =>
        s_kinds.TryGetValue(name, out ConstraintKind kind)
            ? kind
            : throw file.Error(node, $"unknown constraint '{name}'.{NameSuggester.DidYouMean(name, s_kinds.Keys)} Expected one of: {string.Join(", ", s_kinds.Keys)}.", ErrorCode.ModelConfigInvalid);

    /// <summary>The constraint's name as written in the project files (<c>primary_key</c>).</summary>
    public static string Name(ConstraintKind kind) => s_kinds.First(k => k.Value == kind).Key;

    private static string Example(ConstraintKind kind) => kind == ConstraintKind.Check
        ? "'{type: check, expression: amount >= 0}'"
        : "'{type: foreign_key, to: silver.customers, to_columns: [customer_id]}'";

    /// <summary>
    /// The <c>fail</c> expectations that check <paramref name="constraints"/> before each commit, less those the model
    /// already declares under the same name (its own severity wins). A primary key checks as not null and unique.
    /// </summary>
    public static IEnumerable<Expectation> ToExpectations(IEnumerable<ColumnConstraint> constraints, IReadOnlyCollection<Expectation> declared)
    {
        var names = new HashSet<string>(declared.Select(e => e.Name), StringComparer.OrdinalIgnoreCase);
        foreach (ColumnConstraint constraint in constraints)
        {
            foreach (Expectation expectation in Expectations(constraint))
            {
                if (names.Add(expectation.Name))
                {
                    yield return expectation;
                }
            }
        }
    }

    private static IEnumerable<Expectation> Expectations(ColumnConstraint c)
    {
        string columns = string.Join(", ", c.Columns);
        Expectation Rule(ExpectationKind kind, string name, string? sql = null) =>
            new(kind, name, ExpectationSeverity.Fail, kind == ExpectationKind.Expression ? [] : c.Columns, [], null, null, null, c.To, c.ToColumn, null, sql, null, c.Location);

        switch (c.Kind)
        {
            case ConstraintKind.NotNull:
                yield return Rule(ExpectationKind.NotNull, $"not_null({columns})");
                break;
            case ConstraintKind.Unique:
                yield return Rule(ExpectationKind.Unique, $"unique({columns})");
                break;
            case ConstraintKind.PrimaryKey:
                yield return Rule(ExpectationKind.NotNull, $"not_null({columns})");
                yield return Rule(ExpectationKind.Unique, $"unique({columns})");
                break;
            case ConstraintKind.Check:
                yield return Rule(ExpectationKind.Expression, $"check({c.Expression})", c.Expression);
                break;
            case ConstraintKind.ForeignKey:
                yield return Rule(ExpectationKind.Relationships, $"relationships({columns} -> {c.To}.{c.ToColumn})");
                break;
        }
    }
}
