using System.Collections.Generic;

namespace Medallion.Delta.Schema;

/// <summary>Applies column mapping to types: the physical form of a logical type.</summary>
public static class ColumnMapping
{
    /// <summary>The type with every nested struct field renamed to its physical name (unchanged when mapping is off).</summary>
    public static DeltaType ToPhysical(DeltaType type, ColumnMappingMode mode)
    {
        if (mode == ColumnMappingMode.None)
        {
            return type;
        }

        return type switch
        {
            StructType s => new StructType(PhysicalFields(s, mode)),
            ArrayType a => a with { ElementType = ToPhysical(a.ElementType, mode) },
            MapType m => m with { KeyType = ToPhysical(m.KeyType, mode), ValueType = ToPhysical(m.ValueType, mode) },
            _ => type,
        };
    }

    /// <summary>The field as data files hold it: its physical name, and its type with nested fields renamed.</summary>
    public static StructField ToPhysical(StructField field, ColumnMappingMode mode) =>
        mode == ColumnMappingMode.None ? field : field with { Name = field.GetPhysicalName(mode), Type = ToPhysical(field.Type, mode) };

    private static List<StructField> PhysicalFields(StructType s, ColumnMappingMode mode)
    {
        var fields = new List<StructField>(s.Fields.Count);
        foreach (StructField f in s.Fields)
        {
            fields.Add(ToPhysical(f, mode));
        }

        return fields;
    }
}
