using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Medallion.Delta.Schema;

/// <summary>A (possibly nested) column: its logical name, type, nullability and column metadata.</summary>
/// <param name="Name">The logical (display) name.</param>
/// <param name="Type">The column type.</param>
/// <param name="Nullable">Whether the column may hold nulls.</param>
/// <param name="Metadata">Column metadata, e.g. <c>delta.columnMapping.physicalName</c>; values are raw JSON.</param>
public sealed record StructField(string Name, DeltaType Type, bool Nullable, IReadOnlyDictionary<string, JsonElement> Metadata)
{
    /// <summary>The metadata key of the physical name under column mapping.</summary>
    public const string PhysicalNameKey = "delta.columnMapping.physicalName";

    /// <summary>The metadata key of the column id under column mapping.</summary>
    public const string ColumnIdKey = "delta.columnMapping.id";

    /// <summary>The column's physical name under <paramref name="mode"/>: its logical name unless column mapping is on.</summary>
    public string GetPhysicalName(ColumnMappingMode mode) =>
        mode != ColumnMappingMode.None && Metadata.TryGetValue(PhysicalNameKey, out JsonElement v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : Name;

    /// <summary>The column-mapping id (the Parquet field id in <c>id</c> mode), if set.</summary>
    public int? ColumnId =>
        Metadata.TryGetValue(ColumnIdKey, out JsonElement v)
            ? v.ValueKind == JsonValueKind.Number ? v.GetInt32() : int.Parse(v.GetString()!, CultureInfo.InvariantCulture)
            : null;
}
