using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Pipelines.Privacy;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads a model's configuration. In a .sql file it is a YAML block in a leading comment:
/// <code>
/// /* ---
/// description: Orders, one row per order
/// materialized: merge
/// unique_key: order_id
/// --- */
/// SELECT ...
/// </code>
/// The block must be the first thing in the file, open with a line <c>/* ---</c> and close with a
/// line <c>--- */</c>, with no <c>/*</c> inside (SQL block comments nest in DuckDB). In <c>models/*.yml</c> the same keys sit under <c>models: &lt;namespace.name&gt;:</c>.
/// </summary>
internal static class ModelConfigReader
{
    public static readonly string[] Keys =
        ["description", "owner", "tags", "materialized", "unique_key", "delete_when", "change_columns", "partition_by", "interval_column", "columns", "expectations", "freshness", "retention", "erasure", "forward_only", "contract", "constraints", "engine", "connection", "table_properties"];

    private static readonly string[] s_columnKeys = ["description", "classification", "tags", "expect", "data_type", "constraints"];
    private static readonly string[] s_materializations = ["table", "append", "merge", "scd2"];
    private static readonly string[] s_retentionKeys = ["column", "keep"];
    private static readonly string[] s_erasurePolicies = ["delete", "anonymize"];

    public static ModelConfig Default(string filePath) =>
        new(null, null, [], Materialization.Table, [], null, [], [], [], [], new SourceLocation(filePath, 1, 1));

    /// <summary>Finds the leading config block of a .sql file: the YAML text and the file line before its first line; null when there is none.</summary>
    public static (string Yaml, int LineOffset)? FindBlock(string filePath, string sql)
    {
        string[] lines = sql.Split('\n');
        int first = 0;
        while (first < lines.Length && string.IsNullOrWhiteSpace(lines[first]))
        {
            first++;
        }

        if (first == lines.Length || !lines[first].TrimStart().StartsWith("/*", StringComparison.Ordinal) || lines[first].Trim() != "/* ---")
        {
            return null;
        }

        for (int i = first + 1; i < lines.Length; i++)
        {
            if (lines[i].Contains("/*", StringComparison.Ordinal))
            {
                var nested = new SourceLocation(filePath, i + 1, lines[i].IndexOf("/*", StringComparison.Ordinal) + 1);
                throw new MedallionException(
                    ErrorCode.ProjectFileInvalid,
                    $"{nested}: '/*' inside the config block opens a nested SQL comment, so the block never ends for DuckDB. Expected no '/*' between '/* ---' and '--- */'.",
                    location: nested);
            }

            if (lines[i].Trim() == "--- */")
            {
                return (string.Join('\n', lines[(first + 1)..i]), first + 1);
            }
        }

        var location = new SourceLocation(filePath, first + 1, lines[first].IndexOf('/', StringComparison.Ordinal) + 1);
        throw new MedallionException(
            ErrorCode.ProjectFileInvalid,
            $"{location}: the config block opened here is not closed. Expected a line '--- */' after the YAML.",
            location: location);
    }

    /// <summary>Reads a model's config; <paramref name="connections"/> are the project's, for <c>engine: spark</c>.</summary>
    public static ModelConfig Read(YamlMap map, IReadOnlyDictionary<string, ConnectionDefinition> connections, string owner)
    {
        YamlFile file = map.File;
        var materialized = Enum.Parse<Materialization>(map.Choice("materialized", s_materializations) ?? "table", ignoreCase: true);
        IReadOnlyList<string> uniqueKey = map.Strings("unique_key");
        string? deleteWhen = map.String("delete_when");
        IReadOnlyList<string> changeColumns = map.Strings("change_columns");
        if (materialized is Materialization.Merge or Materialization.Scd2 && uniqueKey.Count == 0)
        {
            string name = materialized.ToString().ToLowerInvariant();
            throw file.Error(map.Value("materialized")!, $"'materialized: {name}' needs a unique key. Expected 'unique_key: <column>' or 'unique_key: [a, b]'.", ErrorCode.ModelConfigInvalid);
        }

        if (deleteWhen is not null && materialized != Materialization.Merge)
        {
            throw file.Error(map.Value("delete_when")!, "'delete_when' applies only to 'materialized: merge'.", ErrorCode.ModelConfigInvalid);
        }

        if (changeColumns.Count > 0 && materialized != Materialization.Scd2)
        {
            throw file.Error(map.Value("change_columns")!, "'change_columns' applies only to 'materialized: scd2'.", ErrorCode.ModelConfigInvalid);
        }

        string? intervalColumn = map.String("interval_column");
        if (intervalColumn is not null && materialized is not (Materialization.Table or Materialization.Append))
        {
            throw file.Error(map.Value("interval_column")!,
                $"'interval_column' applies only to 'materialized: table' or 'append' ({materialized.ToString().ToLowerInvariant()} writes rows by unique key, not by data interval). Expected no 'interval_column', or 'materialized: append'.",
                ErrorCode.ModelConfigInvalid);
        }

        if (intervalColumn is not null && intervalColumn.Trim().Length == 0)
        {
            throw file.Error(map.Value("interval_column")!, "'interval_column' is empty. Expected the column that places a row in a data interval, e.g. 'interval_column: order_date'.", ErrorCode.ModelConfigInvalid);
        }

        EngineChoice? engine = EngineReader.Read(map, connections, owner);
        if (engine?.Engine == ModelEngine.Spark && intervalColumn is not null)
        {
            throw file.Error(map.Value("interval_column")!,
                $"{owner} runs on Spark, which writes its whole result with the materialization; replacing a run's data interval ('interval_column') is done by DuckDB only. Expected no 'interval_column', or 'engine: duckdb'.",
                ErrorCode.SparkModelInvalid);
        }

        var columns = new List<ColumnDoc>();
        var expectations = ExpectationReader.ReadList(file, map.List("expectations"), column: null);
        if (map.Value("columns") is { } columnsNode && !YamlMap.IsNull(columnsNode))
        {
            foreach ((string column, _, YamlNode value) in file.Map(columnsNode, "'columns'", []).Entries)
            {
                if (value is YamlScalarNode)
                {
                    columns.Add(new ColumnDoc(column, YamlMap.IsNull(value) ? null : file.Scalar(value, column), null, []));
                    continue;
                }

                YamlMap columnMap = file.Map(value, $"column '{column}'", s_columnKeys);
                columns.Add(new ColumnDoc(column, columnMap.String("description"), columnMap.String("classification"), columnMap.Strings("tags"))
                {
                    DataType = DataType(columnMap, column),
                    Constraints = ContractReader.ReadList(columnMap, "constraints", column),
                });
                expectations.AddRange(ExpectationReader.ReadList(file, columnMap.List("expect"), column));
            }
        }

        ModelContract? contract = ContractReader.ReadContract(map);
        ContractReader.CheckDeclared(contract, columns);
        List<ColumnConstraint> modelConstraints = ContractReader.ReadList(map, "constraints", column: null);
        expectations.AddRange(ContractReader.ToExpectations(columns.SelectMany(c => c.Constraints).Concat(modelConstraints), expectations).ToList());

        if (expectations.GroupBy(e => e.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            Expectation second = duplicate.ElementAt(1);
            throw new MedallionException(
                ErrorCode.QualityRuleInvalid,
                $"{second.Location}: a second rule is named '{duplicate.Key}'. Expected unique rule names; add 'name: <unique name>' to one of them.",
                location: second.Location);
        }

        return new ModelConfig(
            map.String("description"),
            map.String("owner"),
            map.Strings("tags"),
            materialized,
            uniqueKey,
            deleteWhen,
            changeColumns,
            map.Strings("partition_by"),
            columns,
            expectations,
            file.Location(map.Node))
        {
            IntervalColumn = intervalColumn?.Trim(),
            ForwardOnly = map.Bool("forward_only") ?? false,
            Freshness = AlertsReader.ReadFreshness(map),
            Retention = ReadRetention(map),
            Erasure = Enum.Parse<ErasurePolicy>(map.Choice("erasure", s_erasurePolicies) ?? "delete", ignoreCase: true),
            Contract = contract,
            Constraints = modelConstraints,
            Engine = engine,
            TableProperties = ReadTableProperties(map),
        };
    }

    /// <summary>A column's <c>data_type</c>, trimmed; null when absent. DuckDB checks the type itself when a build uses it.</summary>
    private static string? DataType(YamlMap column, string name)
    {
        if (column.String("data_type") is not { } text)
        {
            return null;
        }

        return text.Trim().Length > 0
            ? text.Trim()
            : throw column.File.Error(column.Value("data_type")!, $"'data_type' of column '{name}' is empty. Expected a DuckDB type such as BIGINT, VARCHAR or DECIMAL(18,2).", ErrorCode.ModelConfigInvalid);
    }

    /// <summary>
    /// The <c>table_properties:</c> mapping (Delta table properties the model's table is created with, such as
    /// <c>delta.universalFormat.enabledFormats: iceberg</c>); UniForm's rules that need no schema (IcebergCompatV2 with
    /// it, no deletion vectors, no partitions) are checked here, at the file and line.
    /// </summary>
    private static IReadOnlyDictionary<string, string> ReadTableProperties(YamlMap map)
    {
        YamlFile file = map.File;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map.Value("table_properties") is not { } node || YamlMap.IsNull(node))
        {
            return properties;
        }

        foreach ((string key, _, YamlNode value) in file.Map(node, "'table_properties'", []).Entries)
        {
            if (value is not YamlScalarNode || YamlMap.IsNull(value))
            {
                throw file.Error(value, $"table property '{key}' must have one value. Expected e.g. '{key}: true'.", ErrorCode.ModelConfigInvalid);
            }

            properties[key] = file.Scalar(value, key);
        }

        var configuration = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string key, string value) in properties)
        {
            configuration[key] = value;
        }

        if (Delta.Transactions.WriterFeatures.IsTrue(configuration, Delta.Iceberg.UniForm.IcebergCompatV2Property))
        {
            // The writer chooses name mode for such a table unless told otherwise.
            configuration.TryAdd("delta.columnMapping.mode", "name");
        }

        try
        {
            Delta.Iceberg.UniForm.Validate(configuration, new Delta.Schema.StructType([]), map.Strings("partition_by"), "this model's table");
        }
        catch (MedallionException e) when (e.Code == ErrorCode.UniFormConfigurationInvalid)
        {
            throw file.Error(node, e.Message, ErrorCode.UniFormConfigurationInvalid);
        }

        return properties;
    }

    /// <summary>The <c>retention: {column, keep}</c> setting; null when absent.</summary>
    private static RetentionPolicy? ReadRetention(YamlMap map)
    {
        YamlFile file = map.File;
        if (map.Map("retention", "'retention'", s_retentionKeys) is not { } retention)
        {
            return null;
        }

        string column = retention.RequiredString("column", "'retention'", "created_at");
        string keep = retention.RequiredString("keep", "'retention'", "5y");
        if (RetentionPolicy.ParseKeep(keep) is not { } parsed)
        {
            throw file.Error(retention.Value("keep")!, $"'keep' cannot be '{keep}'. Expected a number and a unit: d (days), w (weeks), mo (months) or y (years), e.g. 'keep: 5y'.", ErrorCode.ModelConfigInvalid);
        }

        return new RetentionPolicy(column.Trim(), keep.Trim(), parsed.Amount, parsed.Unit, file.Location(retention.Value("column")!));
    }
}
