using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// A Delta schema as an Iceberg schema (Iceberg spec, "Schemas and Data Types"): each field keeps its column-mapping id
/// as its Iceberg field id and its display name as its name, so an Iceberg reader finds the Parquet columns (written
/// with those ids under their physical names) by id. Also lists the leaf columns whose Delta statistics become Iceberg
/// bounds and counts.
/// </summary>
internal sealed class IcebergSchema
{
    private IcebergSchema(string fieldsJson, IReadOnlyList<IcebergLeaf> leaves, int maxFieldId)
    {
        FieldsJson = fieldsJson;
        Leaves = leaves;
        MaxFieldId = maxFieldId;
    }

    /// <summary>The schema's <c>fields</c> array as JSON: two schemas are the same when these are.</summary>
    public string FieldsJson { get; }

    /// <summary>The primitive fields at any depth of structs, with the path of physical names their statistics are under.</summary>
    public IReadOnlyList<IcebergLeaf> Leaves { get; }

    /// <summary>The highest field id in the schema.</summary>
    public int MaxFieldId { get; }

    /// <summary>The Iceberg schema of <paramref name="schema"/>, whose fields all carry column-mapping ids.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.UniFormConversionFailed"/> for a field without an id or of a type not converted.</exception>
    public static IcebergSchema Of(StructType schema, ColumnMappingMode mode, string location)
    {
        var leaves = new List<IcebergLeaf>();
        int max = 0;
        using var buffer = new System.IO.MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteFields(json, schema, mode, [], leaves, ref max, location);
        }

        return new IcebergSchema(System.Text.Encoding.UTF8.GetString(buffer.ToArray()), leaves, max);
    }

    /// <summary>The Delta type name of <paramref name="type"/> or of a type inside it that is not converted (arrays, maps); null when every part converts.</summary>
    public static string? Unsupported(DeltaType type) => type switch
    {
        ArrayType or MapType => type.ToString(),
        StructType s => FirstUnsupported(s),
        PrimitiveType p => PrimitiveName(p) is null ? p.Name : null,
        _ => null,
    };

    private static string? FirstUnsupported(StructType s)
    {
        foreach (StructField f in s.Fields)
        {
            if (Unsupported(f.Type) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The Iceberg primitive type of a Delta primitive (Iceberg spec, "Primitive Types"); null for a type Iceberg does not have.</summary>
    internal static string? PrimitiveName(PrimitiveType type) => type.Name switch
    {
        "boolean" => "boolean",
        "byte" or "short" or "integer" => "int",
        "long" => "long",
        "float" => "float",
        "double" => "double",
        "date" => "date",
        "timestamp" => "timestamptz",
        "timestamp_ntz" => "timestamp",
        "string" => "string",
        "binary" => "binary",
        _ => null,
    };

    private static void WriteFields(Utf8JsonWriter json, StructType type, ColumnMappingMode mode, List<string> path, List<IcebergLeaf> leaves, ref int max, string location)
    {
        json.WriteStartArray();
        foreach (StructField field in type.Fields)
        {
            int id = field.ColumnId ?? throw Failed(location, $"column '{field.Name}' has no column-mapping id (delta.columnMapping.id)");
            max = Math.Max(max, id);
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("name", field.Name);
            json.WriteBoolean("required", !field.Nullable);
            json.WritePropertyName("type");
            path.Add(field.GetPhysicalName(mode));
            switch (field.Type)
            {
                case StructType nested:
                    json.WriteStartObject();
                    json.WriteString("type", "struct");
                    json.WritePropertyName("fields");
                    WriteFields(json, nested, mode, path, leaves, ref max, location);
                    json.WriteEndObject();
                    break;
                case DecimalType d:
                    // The spec's canonical form (Appendix C): no space after the comma.
                    json.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"decimal({d.Precision},{d.Scale})"));
                    leaves.Add(new IcebergLeaf(id, [.. path], d));
                    break;
                case PrimitiveType p when PrimitiveName(p) is { } name:
                    json.WriteStringValue(name);
                    leaves.Add(new IcebergLeaf(id, [.. path], p));
                    break;
                default:
                    throw Failed(location, $"column '{field.Name}' has type {field.Type}, which is not converted to Iceberg");
            }

            path.RemoveAt(path.Count - 1);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static MedallionException Failed(string location, string what) =>
        new(ErrorCode.UniFormConversionFailed, $"The Iceberg metadata of the Delta table at '{location}' cannot be written: {what}.\nHelp: the Delta table is unchanged; keep UniForm tables to primitive and struct columns with column mapping.");
}

/// <summary>A primitive field of an Iceberg schema: its id, the physical names leading to it in Delta statistics, and its Delta type.</summary>
internal sealed record IcebergLeaf(int Id, IReadOnlyList<string> PhysicalPath, DeltaType Type);
