using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines.ProjectFiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.Contracts;

/// <summary>
/// Writes a model's contract as an Open Data Contract Standard v3 document: its columns (types, keys, partitions, docs,
/// classification), its rules (ODCS library metrics where one says the same, else a <c>custom</c> rule of engine
/// <c>medallion</c>), its owner, and its retention and freshness as SLA properties. Given the document the project keeps
/// for the model, the export starts from it and changes only what Medallion knows, so whatever else the document says
/// (servers, pricing, roles, support, custom properties, other objects, unknown keys) comes back as it was.
/// </summary>
public static class OdcsExport
{
    private static readonly string[] s_libraryMetrics = ["nullValues", "duplicateValues", "invalidValues", "rowCount"];

    /// <summary>The contract document of the project that describes <paramref name="model"/>, or null when none does.</summary>
    /// <param name="projectDirectory">The project's folder.</param>
    /// <param name="model">The model.</param>
    public static string? FindDocument(string projectDirectory, TableName model)
    {
        string folder = Path.Combine(projectDirectory, OdcsContract.Folder);
        if (!Directory.Exists(folder))
        {
            return null;
        }

        foreach (string path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(OdcsContract.IsDocument).Order(StringComparer.Ordinal))
        {
            if (Load(File.ReadAllText(path)) is { } root && Objects(root).Any(o => OdcsContract.ModelOf(o) is { } name && name.Equals(model)))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>The document for <paramref name="model"/>, from <paramref name="kept"/> (the project's document for it) when given.</summary>
    /// <param name="projectName">The project's name, the start of a new document's id.</param>
    /// <param name="model">The model, as the project files (and its kept document) configure it.</param>
    /// <param name="kept">The text of the document the project keeps for the model; null for a new one.</param>
    public static string Write(string projectName, ModelDefinition model, string? kept)
    {
        YamlMappingNode root = (kept is null ? null : Load(kept)) ?? new YamlMappingNode();
        ModelConfig config = model.Config;
        SetDefault(root, "apiVersion", OdcsContract.ApiVersion);
        SetDefault(root, "kind", "DataContract");
        SetDefault(root, "id", $"{projectName}.{model.Name}");
        SetDefault(root, "name", model.Name.ToString());
        SetDefault(root, "version", "1.0.0");
        SetDefault(root, "status", "active");
        if (config.Description is { } description)
        {
            Set(Child(root, "description"), "purpose", Text(description));
        }

        if (config.Owner is { } owner)
        {
            SetOwner(root, owner);
        }

        YamlSequenceNode schema = ChildList(root, "schema");
        YamlMappingNode table = Objects(root).FirstOrDefault(o => OdcsContract.ModelOf(o) is { } name && name.Equals(model.Name)) ?? Add(schema, new YamlMappingNode());
        WriteObject(table, model);
        WriteSla(root, model);
        var stream = new YamlStream(new YamlDocument(root));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        // YamlDotNet ends a document with "..." when it was written without an explicit start; a file needs neither.
        return writer.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal);
    }

    private static void WriteObject(YamlMappingNode table, ModelDefinition model)
    {
        ModelConfig config = model.Config;
        SetDefault(table, "name", model.Name.Name);
        Set(table, "physicalName", Text(model.Name.ToString()));
        SetDefault(table, "physicalType", "table");
        Set(table, "logicalType", Text("object"));
        if (config.Description is { } description)
        {
            Set(table, "description", Text(description));
        }

        if (config.Tags.Count > 0)
        {
            Set(table, "tags", Strings(config.Tags));
        }

        IReadOnlyList<string> key = PrimaryKey(config);
        HashSet<string> constraintRules = ConstraintRuleNames(config);
        YamlSequenceNode properties = ChildList(table, "properties");
        foreach (ColumnDoc column in config.Columns)
        {
            YamlMappingNode property = properties.Children.OfType<YamlMappingNode>().FirstOrDefault(p => string.Equals(Scalar(p, "name"), column.Name, StringComparison.OrdinalIgnoreCase))
                ?? Add(properties, new YamlMappingNode(new YamlScalarNode("name"), Text(column.Name)));
            WriteProperty(property, column, config, key);
            WriteQuality(property, config.Expectations.Where(e => !constraintRules.Contains(e.Name) && IsColumnRule(e, column.Name)));
        }

        WriteQuality(table, config.Expectations.Where(e => !constraintRules.Contains(e.Name) && !config.Columns.Any(c => IsColumnRule(e, c.Name))));
    }

    private static void WriteProperty(YamlMappingNode property, ColumnDoc column, ModelConfig config, IReadOnlyList<string> key)
    {
        if (column.DataType is { } type)
        {
            Set(property, "physicalType", Text(type));
            if (LogicalType(type) is { } logical)
            {
                Set(property, "logicalType", Text(logical));
            }
        }

        bool Has(ConstraintKind kind) => column.Constraints.Any(c => c.Kind == kind);
        bool primary = key.Contains(column.Name, StringComparer.OrdinalIgnoreCase);
        SetFlag(property, "required", Has(ConstraintKind.NotNull) || primary);
        SetFlag(property, "unique", Has(ConstraintKind.Unique) || (primary && key.Count == 1));
        SetFlag(property, "primaryKey", primary);
        if (primary)
        {
            Set(property, "primaryKeyPosition", Number(key.ToList().FindIndex(k => string.Equals(k, column.Name, StringComparison.OrdinalIgnoreCase)) + 1));
        }

        int partition = config.PartitionBy.ToList().FindIndex(p => string.Equals(p, column.Name, StringComparison.OrdinalIgnoreCase));
        SetFlag(property, "partitioned", partition >= 0);
        if (partition >= 0)
        {
            Set(property, "partitionKeyPosition", Number(partition + 1));
        }

        if (column.Description is { } description)
        {
            Set(property, "description", Text(description));
        }

        if (column.Classification is { } classification)
        {
            Set(property, "classification", Text(classification));
        }

        if (column.Tags.Count > 0)
        {
            Set(property, "tags", Strings(column.Tags));
        }
    }

    /// <summary>The model's primary key: a column's own <c>primary_key</c> constraint, or the model's over several columns.</summary>
    private static IReadOnlyList<string> PrimaryKey(ModelConfig config) =>
        config.Constraints.Concat(config.Columns.SelectMany(c => c.Constraints)).FirstOrDefault(c => c.Kind == ConstraintKind.PrimaryKey)?.Columns ?? [];

    /// <summary>The rules the columns' keys say already (<c>required</c>, <c>unique</c>, <c>primaryKey</c>): not repeated as quality rules.</summary>
    private static HashSet<string> ConstraintRuleNames(ModelConfig config)
    {
        IEnumerable<ColumnConstraint> keys = config.Columns.SelectMany(c => c.Constraints).Concat(config.Constraints)
            .Where(c => c.Kind is ConstraintKind.NotNull or ConstraintKind.Unique or ConstraintKind.PrimaryKey);
        return new HashSet<string>(ContractReader.ToExpectations(keys, []).Select(e => e.Name), StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsColumnRule(Expectation rule, string column) =>
        rule.Kind is not (ExpectationKind.RowCount or ExpectationKind.Schema or ExpectationKind.Expression)
        && rule.Columns.Count == 1 && string.Equals(rule.Columns[0], column, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Replaces the element's quality rules Medallion reads (library metrics it runs, custom rules of its engine) by
    /// <paramref name="rules"/>, keeping every other rule (text, SQL, other engines') where it was.
    /// </summary>
    private static void WriteQuality(YamlMappingNode element, IEnumerable<Expectation> rules)
    {
        List<Expectation> list = [.. rules];
        YamlSequenceNode? quality = element.Children.TryGetValue(new YamlScalarNode("quality"), out YamlNode? node) ? node as YamlSequenceNode : null;
        if (quality is null && list.Count == 0)
        {
            return;
        }

        quality ??= ChildList(element, "quality");
        var kept = quality.Children.Where(r => !IsMedallions(r)).ToList();
        quality.Children.Clear();
        foreach (YamlNode rule in kept)
        {
            quality.Add(rule);
        }

        foreach (Expectation rule in list)
        {
            quality.Add(Rule(rule));
        }
    }

    private static bool IsMedallions(YamlNode rule) => rule is YamlMappingNode map && (
        string.Equals(Scalar(map, "engine"), OdcsContract.Engine, StringComparison.OrdinalIgnoreCase)
        || (Scalar(map, "type") is null or "library" && s_libraryMetrics.Contains(Scalar(map, "metric") ?? Scalar(map, "rule"))));

    /// <summary>One expectation as an ODCS quality rule: the library metric that says the same, else Medallion's own rule.</summary>
    private static YamlMappingNode Rule(Expectation rule)
    {
        var node = new YamlMappingNode { { "name", Text(rule.Name) } };
        switch (rule.Kind)
        {
            case ExpectationKind.NotNull when rule.Columns.Count == 1:
                Library(node, "nullValues");
                break;
            case ExpectationKind.Unique when rule.Columns.Count == 1:
                Library(node, "duplicateValues");
                break;
            case ExpectationKind.Unique:
                Library(node, "duplicateValues");
                node.Add("arguments", new YamlMappingNode { { "properties", Strings(rule.Columns) } });
                break;
            case ExpectationKind.AcceptedValues:
                Library(node, "invalidValues");
                node.Add("arguments", new YamlMappingNode { { "validValues", Strings(rule.Values) } });
                break;
            case ExpectationKind.Regex:
                Library(node, "invalidValues");
                node.Add("arguments", new YamlMappingNode { { "pattern", Text(rule.Pattern!) } });
                break;
            case ExpectationKind.RowCount when IsWhole(rule.Min) && IsWhole(rule.Max):
                node.Add("type", "library");
                node.Add("metric", "rowCount");
                if (rule.Min is not null && rule.Max is not null)
                {
                    node.Add("mustBeBetween", new YamlSequenceNode(Number(long.Parse(rule.Min, CultureInfo.InvariantCulture)), Number(long.Parse(rule.Max, CultureInfo.InvariantCulture))));
                }
                else if (rule.Min is not null)
                {
                    node.Add("mustBeGreaterThanOrEqualTo", Number(long.Parse(rule.Min, CultureInfo.InvariantCulture)));
                }
                else
                {
                    node.Add("mustBeLessThanOrEqualTo", Number(long.Parse(rule.Max!, CultureInfo.InvariantCulture)));
                }

                break;
            default:
                node.Add("type", "custom");
                node.Add("engine", OdcsContract.Engine);
                node.Add("implementation", new YamlScalarNode(Implementation(rule)) { Style = ScalarStyle.DoubleQuoted });
                break;
        }

        node.Add("severity", OdcsContract.SeverityText(rule.Severity));
        return node;
    }

    private static void Library(YamlMappingNode node, string metric)
    {
        node.Add("type", "library");
        node.Add("metric", metric);
        node.Add("mustBe", Number(0));
    }

    private static bool IsWhole(string? bound) => bound is null || long.TryParse(bound, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>A rule as the project files write it, in flow style: what <c>custom</c> rules of engine medallion hold.</summary>
    private static string Implementation(Expectation rule)
    {
        string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
        string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]";
        string body = rule.Kind switch
        {
            ExpectationKind.NotNull => $"not_null: {List(rule.Columns)}",
            ExpectationKind.Unique => $"unique: {List(rule.Columns)}",
            ExpectationKind.AcceptedValues => $"accepted_values: {{column: {Quote(rule.Columns[0])}, values: {List(rule.Values)}}}",
            ExpectationKind.Range => $"range: {{column: {Quote(rule.Columns[0])}{(rule.Min is null ? "" : $", min: {Quote(rule.Min)}")}{(rule.Max is null ? "" : $", max: {Quote(rule.Max)}")}}}",
            ExpectationKind.Regex => $"regex: {{column: {Quote(rule.Columns[0])}, pattern: {Quote(rule.Pattern!)}}}",
            ExpectationKind.Relationships => $"relationships: {{column: {Quote(rule.Columns[0])}, to: {Quote(rule.To!.Value.ToString())}, field: {Quote(rule.ToColumn!)}}}",
            ExpectationKind.RowCount => $"row_count: {{{string.Join(", ", new[] { rule.Min is null ? null : $"min: {rule.Min}", rule.Max is null ? null : $"max: {rule.Max}" }.OfType<string>())}}}",
            ExpectationKind.Freshness => $"freshness: {{column: {Quote(rule.Columns[0])}, max_age: {string.Concat(Whole(rule.MaxAge!.Value).Amount.ToString(CultureInfo.InvariantCulture), Whole(rule.MaxAge!.Value).Unit)}}}",
            ExpectationKind.Expression => $"expression: {{sql: {Quote(rule.Sql!)}}}",
            ExpectationKind.Schema => $"schema: {{columns: {{{string.Join(", ", rule.SchemaColumns!.Select(c => $"{Quote(c.Key)}: {Quote(c.Value)}"))}}}}}",
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Kind, "a rule kind without a written form"),
        };
        return $"{{{body}, name: {Quote(rule.Name)}}}";
    }

    /// <summary>Retention and freshness as SLA properties of the model (replacing earlier ones for it, keeping the rest).</summary>
    private static void WriteSla(YamlMappingNode root, ModelDefinition model)
    {
        ModelConfig config = model.Config;
        var written = new List<YamlMappingNode>();
        if (config.Retention is { } retention)
        {
            written.Add(new YamlMappingNode
            {
                { "property", "retention" },
                { "value", Number(retention.Amount) },
                { "unit", retention.Unit },
                { "element", Text($"{model.Name.Name}.{retention.Column}") },
            });
        }

        if (config.Freshness is { } freshness && (freshness.ErrorAfter ?? freshness.WarnAfter) is TimeSpan latency)
        {
            (long amount, string unit) = Whole(latency);
            written.Add(new YamlMappingNode
            {
                { "property", "latency" },
                { "value", Number(amount) },
                { "unit", unit },
                { "element", Text(model.Name.Name) },
            });
        }

        if (written.Count == 0 && !root.Children.ContainsKey(new YamlScalarNode("slaProperties")))
        {
            return;
        }

        YamlSequenceNode sla = ChildList(root, "slaProperties");
        var others = sla.Children.Where(p => !(p is YamlMappingNode map && Scalar(map, "property") is "retention" or "latency"
            && (Scalar(map, "element") ?? "").Split('.')[0] == model.Name.Name)).ToList();
        sla.Children.Clear();
        foreach (YamlNode item in others.Concat(written))
        {
            sla.Add(item);
        }
    }

    /// <summary>A duration in the largest unit (d, h, min, s) it is a whole number of.</summary>
    private static (long Amount, string Unit) Whole(TimeSpan duration) => duration switch
    {
        { Ticks: var t } when t % TimeSpan.TicksPerDay == 0 => (t / TimeSpan.TicksPerDay, "d"),
        { Ticks: var t } when t % TimeSpan.TicksPerHour == 0 => (t / TimeSpan.TicksPerHour, "h"),
        { Ticks: var t } when t % TimeSpan.TicksPerMinute == 0 => (t / TimeSpan.TicksPerMinute, "min"),
        _ => ((long)duration.TotalSeconds, "s"),
    };

    private static void SetOwner(YamlMappingNode root, string owner)
    {
        // The v3.1 team object; a v3.0 list of members is kept in its shape.
        YamlSequenceNode members = root.Children.TryGetValue(new YamlScalarNode("team"), out YamlNode? team) && team is YamlSequenceNode list
            ? list
            : ChildList(Child(root, "team"), "members");
        YamlMappingNode? current = members.Children.OfType<YamlMappingNode>().FirstOrDefault(m => string.Equals(Scalar(m, "role"), "owner", StringComparison.OrdinalIgnoreCase));
        if (current is null)
        {
            members.Add(new YamlMappingNode { { "username", Text(owner) }, { "role", "owner" } });
        }
        else
        {
            Set(current, "username", Text(owner));
        }
    }

    /// <summary>
    /// The logical type of ODCS for a DuckDB type as written (<c>integer</c>, <c>number</c>, <c>string</c>, <c>boolean</c>,
    /// <c>date</c>, <c>time</c>, <c>timestamp</c>, <c>array</c>, <c>object</c>); null when none fits.
    /// </summary>
    /// <param name="type">A DuckDB type, e.g. <c>DECIMAL(18,2)</c>.</param>
    public static string? LogicalType(string type)
    {
        string t = type.Trim().ToUpperInvariant();
        if (t.EndsWith(']') || t.StartsWith("LIST", StringComparison.Ordinal))
        {
            return "array";
        }

        string head = t.Split('(', ' ')[0];
        return head switch
        {
            "TINYINT" or "SMALLINT" or "INTEGER" or "INT" or "BIGINT" or "HUGEINT" or "UTINYINT" or "USMALLINT" or "UINTEGER" or "UBIGINT" or "UHUGEINT"
                or "INT1" or "INT2" or "INT4" or "INT8" or "LONG" or "SHORT" or "SIGNED" => "integer",
            "DECIMAL" or "NUMERIC" or "DOUBLE" or "FLOAT" or "REAL" or "FLOAT4" or "FLOAT8" => "number",
            "VARCHAR" or "TEXT" or "STRING" or "CHAR" or "BPCHAR" or "UUID" or "ENUM" => "string",
            "BOOLEAN" or "BOOL" or "LOGICAL" => "boolean",
            "DATE" => "date",
            "TIME" or "TIMETZ" => "time",
            "TIMESTAMP" or "TIMESTAMPTZ" or "DATETIME" or "TIMESTAMP_S" or "TIMESTAMP_MS" or "TIMESTAMP_NS" => "timestamp",
            "STRUCT" or "MAP" or "JSON" => "object",
            _ => null,
        };
    }

    private static YamlMappingNode? Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 1 ? stream.Documents[0].RootNode as YamlMappingNode : null;
    }

    private static IEnumerable<YamlMappingNode> Objects(YamlMappingNode root) =>
        root.Children.TryGetValue(new YamlScalarNode("schema"), out YamlNode? schema) && schema is YamlSequenceNode list ? list.Children.OfType<YamlMappingNode>() : [];

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node) && node is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>The node under <paramref name="key"/>, made (empty) when the map has none of that kind.</summary>
    private static T Child<T>(YamlMappingNode map, string key)
        where T : YamlNode, new()
    {
        if (map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node) && node is T child)
        {
            return child;
        }

        child = new T();
        Set(map, key, child);
        return child;
    }

    private static YamlMappingNode Child(YamlMappingNode map, string key) => Child<YamlMappingNode>(map, key);

    private static YamlSequenceNode ChildList(YamlMappingNode map, string key) => Child<YamlSequenceNode>(map, key);

    private static T Add<T>(YamlSequenceNode list, T item)
        where T : YamlNode
    {
        list.Add(item);
        return item;
    }

    private static void Set(YamlMappingNode map, string key, YamlNode value) => map.Children[new YamlScalarNode(key)] = value;

    private static void SetDefault(YamlMappingNode map, string key, string value)
    {
        if (!map.Children.ContainsKey(new YamlScalarNode(key)))
        {
            Set(map, key, Text(value));
        }
    }

    /// <summary>Sets a boolean key when true; removes it when false and Medallion wrote it, so a dropped key does not linger.</summary>
    private static void SetFlag(YamlMappingNode map, string key, bool value)
    {
        if (value)
        {
            Set(map, key, new YamlScalarNode("true"));
        }
        else
        {
            map.Children.Remove(new YamlScalarNode(key));
        }
    }

    /// <summary>A string scalar, quoted where YAML would read it as another type (a number, a boolean, null); the emitter quotes what plain YAML cannot hold.</summary>
    private static YamlScalarNode Text(string value) => new(value)
    {
        Style = value.Trim().Length == 0 || value.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~"
            || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Any,
    };

    private static YamlScalarNode Number(long value) => new(value.ToString(CultureInfo.InvariantCulture));

    private static YamlSequenceNode Strings(IEnumerable<string> items) => new(items.Select(i => (YamlNode)Text(i)));
}
