using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Medallion.Catalog;

namespace Medallion.Pipelines.Planning;

/// <summary>
/// Computes every model's <see cref="ModelFingerprint"/> from a built graph: no I/O, a hash per model over what the graph
/// already parsed, upstream first.
/// </summary>
/// <remarks>
/// Guarantees: reformatting a model or changing its comments leaves its fingerprint as it was (the parse has no
/// positions); a change of its parse, of a data config key, of the value of a variable it reads, or of anything it reads
/// (transitively) changes it. The data interval a scheduled run sets (<c>interval_start</c>, <c>interval_end</c>) is not
/// part of it: a run's interval selects data, it does not define the model.
/// </remarks>
public static class ModelFingerprints
{
    /// <summary>The variables of a run's data interval, which select data rather than define a model.</summary>
    private static readonly string[] s_intervalVariables = ["interval_start", "interval_end"];

    /// <summary>The fingerprints of every model of <paramref name="graph"/>, with <paramref name="variables"/> as the run resolves them.</summary>
    /// <param name="graph">The project's parsed models.</param>
    /// <param name="variables">The run's variables (<see cref="Running.RunOptions.Variables"/>); a variable a model reads and the run does not set counts as unset.</param>
    public static IReadOnlyDictionary<TableName, ModelFingerprint> Compute(ModelGraph graph, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var fingerprinter = new ModelFingerprinter(graph, variables);
        return graph.Models.ToDictionary(model => model.Name, model => fingerprinter.Of(model.Name));
    }

    /// <summary>A model's fingerprint: its own definition's hash and the fingerprint of each table it reads, by name.</summary>
    internal static string Fingerprint(string definition, IEnumerable<KeyValuePair<TableName, string>> upstream) => Hash(writer =>
    {
        writer.WriteString("definition", definition);
        writer.WriteStartObject("upstream");
        foreach ((TableName table, string fingerprint) in upstream.OrderBy(u => u.Key.ToString(), StringComparer.Ordinal))
        {
            writer.WriteString(table.ToString(), fingerprint);
        }

        writer.WriteEndObject();
    });

    /// <summary>The hash of a model's own definition: its parse, data config and the values of the variables it reads.</summary>
    internal static string DefinitionHash(string parse, ModelConfig config, IReadOnlyList<string> used, IReadOnlyDictionary<string, object?> variables) => Hash(writer =>
    {
        writer.WriteString("parse", parse);
        WriteDataConfig(writer, config);
        writer.WriteStartObject("variables");
        foreach (string name in used)
        {
            writer.WriteString(name, variables.TryGetValue(name, out object? value) ? Text(value) : null);
        }

        writer.WriteEndObject();
    });

    /// <summary>The hash of what documents a model and changes no row: description, owner, tags, column docs and types, its contract, expectations (constraints among them).</summary>
    internal static string MetadataHash(ModelConfig config) => Hash(writer =>
    {
        writer.WriteString("description", config.Description);
        writer.WriteString("owner", config.Owner);
        WriteStrings(writer, "tags", config.Tags);
        writer.WriteStartArray("columns");
        foreach (ColumnDoc column in config.Columns)
        {
            writer.WriteStartObject();
            writer.WriteString("name", column.Name);
            writer.WriteString("description", column.Description);
            writer.WriteString("classification", column.Classification);
            WriteStrings(writer, "tags", column.Tags);
            // Written only when declared, so a project without contracts keeps the hashes it had before contracts.
            if (column.DataType is not null)
            {
                writer.WriteString("data_type", column.DataType);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (config.Contract is { } contract)
        {
            writer.WriteBoolean("contract_enforced", contract.Enforced);
        }

        writer.WriteStartArray("expectations");
        foreach (Expectation e in config.Expectations)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", e.Kind.ToString());
            writer.WriteString("name", e.Name);
            writer.WriteString("severity", e.Severity.ToString());
            WriteStrings(writer, "columns", e.Columns);
            WriteStrings(writer, "values", e.Values);
            writer.WriteString("min", e.Min);
            writer.WriteString("max", e.Max);
            writer.WriteString("pattern", e.Pattern);
            writer.WriteString("to", e.To?.ToString());
            writer.WriteString("to_column", e.ToColumn);
            writer.WriteString("max_age", e.MaxAge?.ToString("c", CultureInfo.InvariantCulture));
            writer.WriteString("sql", e.Sql);
            writer.WriteStartObject("schema");
            foreach ((string column, string type) in (e.SchemaColumns ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(column, type);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    /// <summary>The variables a parse reads with <c>getvariable('name')</c> (a constant name), sorted, less the data interval's.</summary>
    internal static List<string> UsedVariables(string parse)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        using JsonDocument document = JsonDocument.Parse(parse);
        Collect(document.RootElement, names);
        names.ExceptWith(s_intervalVariables);
        return [.. names];
    }

    private static void Collect(JsonElement element, SortedSet<string> names)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("class", out JsonElement kind) && kind.ValueEquals("FUNCTION")
                && element.TryGetProperty("function_name", out JsonElement function) && string.Equals(function.GetString(), "getvariable", StringComparison.OrdinalIgnoreCase)
                && element.TryGetProperty("children", out JsonElement children) && children.GetArrayLength() > 0
                && children[0].TryGetProperty("value", out JsonElement constant) && constant.TryGetProperty("value", out JsonElement name) && name.ValueKind == JsonValueKind.String)
            {
                names.Add(name.GetString()!);
            }

            foreach (JsonProperty property in element.EnumerateObject())
            {
                Collect(property.Value, names);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                Collect(item, names);
            }
        }
    }

    private static void WriteDataConfig(Utf8JsonWriter writer, ModelConfig config)
    {
        writer.WriteString("materialized", config.Materialized.ToString());
        WriteStrings(writer, "unique_key", config.UniqueKey);
        writer.WriteString("delete_when", config.DeleteWhen);
        WriteStrings(writer, "change_columns", config.ChangeColumns);
        WriteStrings(writer, "partition_by", config.PartitionBy);
        writer.WriteString("interval_column", config.IntervalColumn);
    }

    /// <summary>Each source table's definition as a hash: what a model downstream of it reads.</summary>
    internal static Dictionary<TableName, string> SourceHashes(MedallionProject project)
    {
        var hashes = new Dictionary<TableName, string>();
        foreach (SourceDefinition source in project.Sources)
        {
            hashes[source.Target] = Hash(w =>
            {
                w.WriteString("kind", "file");
                w.WriteString("format", source.Format.ToString());
                w.WriteString("path", source.Path);
                w.WriteStartObject("options");
                foreach ((string key, string value) in source.Options.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WriteString(key, value);
                }

                w.WriteEndObject();
            });
        }

        foreach (DatabaseSourceDefinition source in project.DatabaseSources)
        {
            foreach (DatabaseTableDefinition table in source.Tables)
            {
                hashes[table.Target] = Hash(w =>
                {
                    w.WriteString("kind", "database");
                    w.WriteString("connection", source.Connection.Name);
                    w.WriteString("table", table.Table);
                    w.WriteString("mode", table.Mode.ToString());
                    WriteStrings(w, "cursor", table.CursorColumns);
                    WriteStrings(w, "key", table.KeyColumns ?? []);
                });
            }
        }

        foreach ((string kind, string name, TableName target) in project.ApiSources.Select(s => ("api", s.Name, s.Target))
            .Concat(project.EndpointSources.Select(s => ("endpoint", s.Name, s.Target)))
            .Concat(project.KafkaSources.Select(s => ("kafka", s.Name, s.Target))))
        {
            hashes[target] = Hash(w =>
            {
                w.WriteString("kind", kind);
                w.WriteString("name", name);
            });
        }

        return hashes;
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string Hash(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(stream.ToArray()));
    }
}
