using System;
using System.Linq;

namespace Medallion.Delta.Schema;

/// <summary>
/// A Delta type as Spark SQL writes it in DDL (its <c>catalogString</c>): <c>int</c>, <c>bigint</c>,
/// <c>decimal(10,2)</c>, <c>array&lt;string&gt;</c>, <c>struct&lt;id:bigint,`first name`:string&gt;</c>. Catalogs hand
/// this text to engines (Unity Catalog's <c>type_text</c>), and Spark reads it back with <c>DataType.fromDDL</c>, so it
/// spells Spark's names, not Delta's JSON names (<c>integer</c>, <c>long</c>, <c>short</c>, <c>byte</c>).
/// </summary>
public static class SparkTypeText
{
    /// <summary>The type's Spark DDL text.</summary>
    public static string Of(DeltaType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type switch
        {
            PrimitiveType { Name: "integer" } => "int",
            PrimitiveType { Name: "long" } => "bigint",
            PrimitiveType { Name: "short" } => "smallint",
            PrimitiveType { Name: "byte" } => "tinyint",
            PrimitiveType p => p.Name,
            DecimalType d => d.ToString(),
            ArrayType a => $"array<{Of(a.ElementType)}>",
            MapType m => $"map<{Of(m.KeyType)},{Of(m.ValueType)}>",
            StructType s => "struct<" + string.Join(",", s.Fields.Select(f => Quoted(f.Name) + ":" + Of(f.Type))) + ">",
            _ => throw new ArgumentException($"The type {type} has no Spark DDL spelling.", nameof(type)),
        };
    }

    /// <summary>A field name as DDL needs it: bare when it is a plain identifier, else in backquotes (a backquote doubled).</summary>
    private static string Quoted(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? name
            : "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";
}
