using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines.ProjectFiles;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.Contracts;

/// <summary>
/// What Medallion checks of one schema object of an Open Data Contract Standard (v3) document in the project's
/// <c>contracts/</c> folder: the model it describes (its <c>physicalName</c>, or <c>name</c>, as
/// <c>&lt;namespace&gt;.&lt;name&gt;</c>), its columns' types (<c>physicalType</c>), docs and keys, and the quality rules
/// Medallion can run. Everything else of the document is kept in the file, untouched, and exported again.
/// </summary>
/// <param name="Model">The model the object describes.</param>
/// <param name="Location">Where the object starts.</param>
/// <param name="Description">The object's description, else the contract's purpose.</param>
/// <param name="Owner">The contract team's member whose role is owner.</param>
/// <param name="Tags">The object's tags.</param>
/// <param name="Columns">Its properties as column docs, with <see cref="ColumnDoc.DataType"/> and constraints.</param>
/// <param name="Constraints">Constraints over several columns (a composite primary key).</param>
/// <param name="Expectations">The quality rules Medallion runs.</param>
/// <param name="NotChecked">The quality rules Medallion keeps but cannot run, each as where and what.</param>
public sealed record OdcsObject(
    TableName Model,
    SourceLocation Location,
    string? Description,
    string? Owner,
    IReadOnlyList<string> Tags,
    IReadOnlyList<ColumnDoc> Columns,
    IReadOnlyList<ColumnConstraint> Constraints,
    IReadOnlyList<Expectation> Expectations,
    IReadOnlyList<string> NotChecked);

/// <summary>Reads ODCS v3 documents (<see cref="Read"/>) and maps quality rules between ODCS and Medallion's expectations.</summary>
public static class OdcsContract
{
    /// <summary>The project folder that holds contract documents.</summary>
    public const string Folder = "contracts";

    /// <summary>The document version Medallion writes.</summary>
    public const string ApiVersion = "v3.1.0";

    /// <summary>The engine name of Medallion's own rules in an ODCS <c>custom</c> quality rule.</summary>
    public const string Engine = "medallion";

    /// <summary>Whether <paramref name="fileName"/> is a contract document (<c>*.odcs.yaml</c> or <c>*.odcs.yml</c>).</summary>
    public static bool IsDocument(string fileName) =>
        fileName.EndsWith(".odcs.yaml", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".odcs.yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads a contract document: each schema object as the model it describes. Errors name the file, line and column.
    /// </summary>
    /// <param name="displayPath">The file as errors name it.</param>
    /// <param name="text">The document.</param>
    public static IReadOnlyList<OdcsObject> Read(string displayPath, string text)
    {
        (YamlFile file, YamlNode? root) = YamlFile.Parse(displayPath, text);
        if (root is null)
        {
            throw Invalid(new SourceLocation(displayPath, 1, 1), "the contract document is empty. Expected an Open Data Contract Standard v3 document: apiVersion, kind: DataContract, id, version, status and schema.");
        }

        YamlMap document = file.Map(root, "a data contract", []);
        string kind = document.RequiredString("kind", "a data contract", "DataContract");
        if (kind != "DataContract")
        {
            throw Invalid(file.Location(document.Value("kind")!), $"'kind' is '{kind}'. Expected 'kind: DataContract' (an Open Data Contract Standard document).");
        }

        string apiVersion = document.RequiredString("apiVersion", "a data contract", ApiVersion);
        if (!apiVersion.StartsWith("v3.", StringComparison.Ordinal))
        {
            throw Invalid(file.Location(document.Value("apiVersion")!), $"'apiVersion' is '{apiVersion}', a version Medallion does not read. Expected an Open Data Contract Standard v3 document, e.g. 'apiVersion: {ApiVersion}'.");
        }

        foreach (string required in (string[])["id", "version", "status"])
        {
            document.RequiredString(required, "a data contract", required == "status" ? "active" : required == "version" ? "1.0.0" : "orders-contract");
        }

        string? purpose = document.Map("description", "'description'", [])?.String("purpose");
        string? owner = Owner(file, document.Value("team"));
        var objects = new List<OdcsObject>();
        foreach (YamlNode item in document.List("schema"))
        {
            objects.Add(ReadObject(file, item, purpose, owner));
        }

        if (objects.Count == 0)
        {
            throw Invalid(file.Location(root), "the contract describes no table. Expected 'schema:' with one object per model, each with 'physicalName: <namespace>.<name>' and its 'properties'.");
        }

        if (objects.GroupBy(o => o.Model).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw Invalid(twice.ElementAt(1).Location, $"model {twice.Key} is described twice in this contract. Expected one schema object per model.");
        }

        return objects;
    }

    /// <summary>The object's model from <c>physicalName</c>, else <c>name</c>.</summary>
    internal static TableName? ModelOf(YamlMappingNode schemaObject)
    {
        foreach (string key in (string[])["physicalName", "name"])
        {
            if (schemaObject.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node) && node is YamlScalarNode { Value: { } text } && TableName.TryParse(text.Trim(), out TableName name))
            {
                return name;
            }
        }

        return null;
    }

    private static OdcsObject ReadObject(YamlFile file, YamlNode item, string? purpose, string? owner)
    {
        YamlMap map = file.Map(item, "a schema object", []);
        string name = map.RequiredString("name", "a schema object", "orders");
        if (ModelOf(map.Node) is not { } model)
        {
            throw Invalid(file.Location(item), $"schema object '{name}' names no model. Expected 'physicalName: <namespace>.<name>' (e.g. 'physicalName: silver.{name}'), the table the contract is about.");
        }

        var columns = new List<ColumnDoc>();
        var keys = new List<(int Position, string Column, SourceLocation Location)>();
        var expectations = new List<Expectation>();
        var notChecked = new List<string>();
        foreach (YamlNode propertyNode in map.List("properties"))
        {
            YamlMap property = file.Map(propertyNode, "a schema property", []);
            string column = property.RequiredString("name", "a schema property", "order_id");
            SourceLocation at = file.Location(propertyNode);
            var constraints = new List<ColumnConstraint>();
            if (property.Bool("required") == true)
            {
                constraints.Add(new ColumnConstraint(ConstraintKind.NotNull, [column], null, null, null, at));
            }

            if (property.Bool("unique") == true)
            {
                constraints.Add(new ColumnConstraint(ConstraintKind.Unique, [column], null, null, null, at));
            }

            if (property.Bool("primaryKey") == true)
            {
                keys.Add(((int)(property.Long("primaryKeyPosition") ?? -1), column, at));
            }

            columns.Add(new ColumnDoc(column, property.String("description"), property.String("classification"), Tags(file, property))
            {
                DataType = property.String("physicalType")?.Trim() is { Length: > 0 } type ? type : null,
                Constraints = constraints,
            });
            ReadQuality(file, property.List("quality"), column, expectations, notChecked);
        }

        var modelConstraints = new List<ColumnConstraint>();
        if (keys.Count > 0)
        {
            // A key's columns in primaryKeyPosition order; the spec's default position (-1) keeps the listed order.
            List<string> key = [.. keys.OrderBy(k => k.Position < 0 ? int.MaxValue : k.Position).Select(k => k.Column)];
            modelConstraints.Add(new ColumnConstraint(ConstraintKind.PrimaryKey, key, null, null, null, keys[0].Location));
        }

        ReadQuality(file, map.List("quality"), null, expectations, notChecked);
        return new OdcsObject(model, file.Location(item), map.String("description") ?? purpose, owner, Tags(file, map), columns, modelConstraints, expectations, notChecked);
    }

    /// <summary>Tags as plain strings (ODCS allows <c>key:value</c> strings; objects are not tags Medallion uses).</summary>
    private static IReadOnlyList<string> Tags(YamlFile file, YamlMap map) =>
        map.Value("tags") is YamlSequenceNode tags ? [.. tags.Children.OfType<YamlScalarNode>().Select(t => file.Scalar(t, "tags"))] : [];

    /// <summary>The owner: a member whose role is owner, in the team object of v3.1 or the member list of v3.0.</summary>
    private static string? Owner(YamlFile file, YamlNode? team)
    {
        IEnumerable<YamlNode> members = team switch
        {
            YamlMappingNode map when map.Children.TryGetValue(new YamlScalarNode("members"), out YamlNode? list) && list is YamlSequenceNode sequence => sequence.Children,
            YamlSequenceNode sequence => sequence.Children,
            _ => [],
        };
        foreach (YamlMappingNode member in members.OfType<YamlMappingNode>())
        {
            YamlMap map = file.Map(member, "a team member", []);
            if (string.Equals(map.String("role")?.Trim(), "owner", StringComparison.OrdinalIgnoreCase))
            {
                return map.String("username");
            }
        }

        return null;
    }

    /// <summary>
    /// Turns ODCS quality rules into expectations where Medallion can run them: library metrics <c>nullValues</c>,
    /// <c>duplicateValues</c> and <c>invalidValues</c> that must be 0 rows, <c>rowCount</c> with bounds, and <c>custom</c> rules
    /// of engine <c>medallion</c> (an expectation as the project files write it). Others are kept, not checked.
    /// </summary>
    private static void ReadQuality(YamlFile file, IReadOnlyList<YamlNode> rules, string? column, List<Expectation> expectations, List<string> notChecked)
    {
        foreach (YamlNode node in rules)
        {
            YamlMap rule = file.Map(node, "a quality rule", []);
            SourceLocation at = file.Location(node);
            string type = rule.String("type") ?? (rule.Has("metric") || rule.Has("rule") ? "library" : "text");
            Expectation? expectation = type switch
            {
                "library" => Library(file, rule, column, at),
                "custom" when string.Equals(rule.String("engine"), Engine, StringComparison.OrdinalIgnoreCase) => Custom(file, rule, column),
                _ => null,
            };
            if (expectation is null)
            {
                notChecked.Add($"{at}: {rule.String("name") ?? rule.String("id") ?? type} ({type}{(rule.String("metric") is { } metric ? ", " + metric : "")})");
                continue;
            }

            expectations.Add(expectation);
        }
    }

    private static Expectation? Library(YamlFile file, YamlMap rule, string? column, SourceLocation at)
    {
        string metric = rule.String("metric") ?? rule.String("rule") ?? "";
        YamlMap? arguments = rule.Map("arguments", "'arguments'", []);
        ExpectationSeverity severity = Severity(rule.String("severity"));
        string? name = rule.String("name");
        bool mustBeZero = rule.String("mustBe") == "0" && (rule.String("unit") ?? "rows") == "rows";
        Expectation Make(ExpectationKind kind, string defaultName, IReadOnlyList<string> columns, IReadOnlyList<string>? values = null, string? min = null, string? max = null, string? pattern = null) =>
            new(kind, name ?? defaultName, severity, columns, values ?? [], min, max, pattern, null, null, null, null, null, at);

        switch (metric)
        {
            case "nullValues" when column is not null && mustBeZero:
                return Make(ExpectationKind.NotNull, $"not_null({column})", [column]);
            case "duplicateValues" when mustBeZero:
                IReadOnlyList<string> columns = column is not null ? [column] : arguments?.Value("properties") is { } listed ? file.Strings(listed, "properties") : [];
                return columns.Count == 0 ? null : Make(ExpectationKind.Unique, $"unique({string.Join(", ", columns)})", columns);
            case "invalidValues" when column is not null && mustBeZero && arguments?.Value("validValues") is { } valid:
                return Make(ExpectationKind.AcceptedValues, $"accepted_values({column})", [column], values: file.Strings(valid, "validValues"));
            case "invalidValues" when column is not null && mustBeZero && arguments?.String("pattern") is { } pattern:
                return Make(ExpectationKind.Regex, $"regex({column})", [column], pattern: pattern);
            case "rowCount" when column is null:
                (string? min, string? max) = Bounds(file, rule);
                return min is null && max is null ? null : Make(ExpectationKind.RowCount, "row_count", [], min: min, max: max);
            default:
                return null;
        }
    }

    /// <summary>A row count's inclusive bounds from ODCS's operators (integers: a count is whole).</summary>
    private static (string? Min, string? Max) Bounds(YamlFile file, YamlMap rule)
    {
        static string? Whole(string? text, int shift) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? (value + shift).ToString(CultureInfo.InvariantCulture) : null;

        if (rule.Value("mustBeBetween") is YamlSequenceNode { Children.Count: 2 } between)
        {
            IReadOnlyList<string> bounds = file.Strings(between, "mustBeBetween");
            return (Whole(bounds[0], 0), Whole(bounds[1], 0));
        }

        return (
            Whole(rule.String("mustBeGreaterThanOrEqualTo"), 0) ?? Whole(rule.String("mustBeGreaterThan"), 1) ?? Whole(rule.String("mustBe"), 0),
            Whole(rule.String("mustBeLessThanOrEqualTo"), 0) ?? Whole(rule.String("mustBeLessThan"), -1) ?? Whole(rule.String("mustBe"), 0));
    }

    /// <summary>A custom rule of engine medallion: its implementation is one expectation as the project files write it.</summary>
    private static Expectation Custom(YamlFile file, YamlMap rule, string? column)
    {
        YamlNode implementation = rule.Required("implementation", "a medallion quality rule", "'not_null: [order_id]'");
        string text = file.Scalar(implementation, "implementation");
        (YamlFile inner, YamlNode? item) = YamlFile.Parse(file.DisplayPath, text, (int)implementation.Start.Line - (implementation is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded } ? 0 : 1));
        if (item is null)
        {
            throw Invalid(file.Location(implementation), "the medallion rule's implementation is empty. Expected one expectation, e.g. 'range: {column: amount, min: 0}'.");
        }

        return ExpectationReader.ReadList(inner, [item], column)[0];
    }

    /// <summary>
    /// <paramref name="config"/> with <paramref name="contract"/> laid over it: the project files' own docs win, the
    /// contract fills what they leave out; a column typed in both must be typed alike; the contract's keys and rules are
    /// added (the model's own rules of the same name win); and the contract is enforced unless the model's config says
    /// otherwise.
    /// </summary>
    internal static ModelConfig ApplyTo(ModelConfig config, OdcsObject contract)
    {
        var columns = config.Columns.ToList();
        foreach (ColumnDoc column in contract.Columns)
        {
            int index = columns.FindIndex(c => string.Equals(c.Name, column.Name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                columns.Add(column);
                continue;
            }

            ColumnDoc own = columns[index];
            if (own.DataType is not null && column.DataType is not null && !string.Equals(own.DataType, column.DataType, StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid(contract.Location,
                    $"column '{column.Name}' of {contract.Model} is {column.DataType} here and {own.DataType} in the model's config ({config.Location}). Expected one type: remove one of them or make them agree.");
            }

            columns[index] = own with
            {
                Description = own.Description ?? column.Description,
                Classification = own.Classification ?? column.Classification,
                Tags = [.. own.Tags.Union(column.Tags, StringComparer.OrdinalIgnoreCase)],
                DataType = own.DataType ?? column.DataType,
                Constraints = [.. own.Constraints, .. column.Constraints],
            };
        }

        List<ColumnConstraint> added = [.. contract.Columns.SelectMany(c => c.Constraints), .. contract.Constraints];
        var expectations = config.Expectations.ToList();
        expectations.AddRange(ContractReader.ToExpectations(added, expectations).ToList());
        var names = new HashSet<string>(expectations.Select(e => e.Name), StringComparer.OrdinalIgnoreCase);
        expectations.AddRange(contract.Expectations.Where(e => names.Add(e.Name)));
        ModelContract enforced = config.Contract ?? new ModelContract(true, contract.Location);
        ContractReader.CheckDeclared(enforced, columns, ErrorCode.ContractDocumentInvalid);
        return config with
        {
            Description = config.Description ?? contract.Description,
            Owner = config.Owner ?? contract.Owner,
            Tags = config.Tags.Count > 0 ? config.Tags : contract.Tags,
            Columns = columns,
            Expectations = expectations,
            Contract = enforced,
            Constraints = [.. config.Constraints, .. contract.Constraints],
        };
    }

    /// <summary>ODCS's free-form severity as Medallion's: warnings warn, quarantine quarantines, anything else fails.</summary>
    internal static ExpectationSeverity Severity(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "warning" or "warn" or "info" or "low" => ExpectationSeverity.Warn,
        "quarantine" => ExpectationSeverity.Quarantine,
        _ => ExpectationSeverity.Fail,
    };

    /// <summary>Medallion's severity as the document says it.</summary>
    internal static string SeverityText(ExpectationSeverity severity) => severity switch
    {
        ExpectationSeverity.Warn => "warning",
        ExpectationSeverity.Quarantine => "quarantine",
        _ => "error",
    };

    internal static MedallionException Invalid(SourceLocation location, string message) =>
        new(ErrorCode.ContractDocumentInvalid, $"{location}: {message}", location: location);
}
