using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Delta.Schema;
using Medallion.Delta.Transactions;
using Medallion.Platform;

namespace Medallion.Server.UnityCatalog;

/// <summary>A Delta table's schema as Unity Catalog's columns (<c>ColumnInfo</c>).</summary>
internal static class UcColumns
{
    /// <summary>
    /// The columns of <paramref name="schema"/> that <paramref name="readable"/> holds (the reader's granted columns, with
    /// their docs), in table order, numbered from 0 among those shown; a partition column carries its index in
    /// <paramref name="partitionColumns"/>.
    /// </summary>
    public static IReadOnlyList<UcColumnInfo> Of(StructType schema, IReadOnlyList<string> partitionColumns, IReadOnlyList<ColumnInfo> readable)
    {
        var columns = new List<UcColumnInfo>();
        foreach (StructField field in schema.Fields)
        {
            if (readable.FirstOrDefault(c => string.Equals(c.Name, field.Name, StringComparison.OrdinalIgnoreCase)) is not { } docs)
            {
                continue;
            }

            int partition = partitionColumns.ToList().FindIndex(p => string.Equals(p, field.Name, StringComparison.OrdinalIgnoreCase));
            (int precision, int scale) = field.Type is DecimalType d ? (d.Precision, d.Scale) : (0, 0);
            columns.Add(new UcColumnInfo(
                field.Name,
                SparkTypeText.Of(field.Type),
                SchemaSerializer.SerializeField(field),
                TypeName(field.Type),
                precision,
                scale,
                columns.Count,
                field.Nullable,
                docs.Description,
                partition >= 0 ? partition : null));
        }

        return columns;
    }

    /// <summary>The type's <c>ColumnTypeName</c>, the enum of Unity Catalog's document.</summary>
    public static string TypeName(DeltaType type) => type switch
    {
        PrimitiveType { Name: "boolean" } => "BOOLEAN",
        PrimitiveType { Name: "byte" } => "BYTE",
        PrimitiveType { Name: "short" } => "SHORT",
        PrimitiveType { Name: "integer" } => "INT",
        PrimitiveType { Name: "long" } => "LONG",
        PrimitiveType { Name: "float" } => "FLOAT",
        PrimitiveType { Name: "double" } => "DOUBLE",
        PrimitiveType { Name: "date" } => "DATE",
        PrimitiveType { Name: "timestamp" } => "TIMESTAMP",
        PrimitiveType { Name: "timestamp_ntz" } => "TIMESTAMP_NTZ",
        PrimitiveType { Name: "string" } => "STRING",
        PrimitiveType { Name: "binary" } => "BINARY",
        PrimitiveType { Name: "variant" } => "VARIANT",
        PrimitiveType { Name: "void" } => "NULL",
        DecimalType => "DECIMAL",
        ArrayType => "ARRAY",
        MapType => "MAP",
        StructType => "STRUCT",
        // A type a newer Delta protocol adds: Unity Catalog's name for a type it has no member for.
        _ => "USER_DEFINED_TYPE",
    };
}
