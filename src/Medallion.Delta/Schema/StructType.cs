using System;
using System.Collections.Generic;

namespace Medallion.Delta.Schema;

/// <summary>A struct: the table schema itself or a nested struct column.</summary>
public sealed record StructType(IReadOnlyList<StructField> Fields) : DeltaType
{
    /// <summary>Finds a field by logical name, ignoring case as Delta column names are case-insensitive; <see langword="null"/> if absent.</summary>
    public StructField? Find(string name)
    {
        foreach (StructField f in Fields)
        {
            if (string.Equals(f.Name, name, StringComparison.Ordinal))
            {
                return f;
            }
        }

        foreach (StructField f in Fields)
        {
            if (string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return f;
            }
        }

        return null;
    }

    /// <summary>Structs compare field by field.</summary>
    public bool Equals(StructType? other)
    {
        if (other is null || other.Fields.Count != Fields.Count)
        {
            return false;
        }

        for (int i = 0; i < Fields.Count; i++)
        {
            StructField a = Fields[i], b = other.Fields[i];
            if (!string.Equals(a.Name, b.Name, StringComparison.Ordinal) || a.Nullable != b.Nullable || !a.Type.Equals(b.Type))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode() => Fields.Count;

    /// <inheritdoc />
    public override string ToString() => "struct<" + string.Join(",", System.Linq.Enumerable.Select(Fields, f => f.Name + ":" + f.Type)) + ">";
}
