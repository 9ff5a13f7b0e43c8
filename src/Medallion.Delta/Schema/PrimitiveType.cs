using System;

namespace Medallion.Delta.Schema;

/// <summary>
/// A primitive type by its Delta name: <c>string</c>, <c>long</c>, <c>integer</c>, <c>short</c>, <c>byte</c>,
/// <c>float</c>, <c>double</c>, <c>boolean</c>, <c>binary</c>, <c>date</c>, <c>timestamp</c>, <c>timestamp_ntz</c>,
/// <c>void</c> or <c>variant</c>.
/// </summary>
/// <param name="Name">The Delta type name.</param>
public sealed record PrimitiveType(string Name) : DeltaType
{
    /// <summary><c>string</c></summary>
    public static readonly PrimitiveType String = new("string");
    /// <summary><c>long</c></summary>
    public static readonly PrimitiveType Long = new("long");
    /// <summary><c>integer</c></summary>
    public static readonly PrimitiveType Integer = new("integer");
    /// <summary><c>short</c></summary>
    public static readonly PrimitiveType Short = new("short");
    /// <summary><c>byte</c></summary>
    public static readonly PrimitiveType Byte = new("byte");
    /// <summary><c>float</c></summary>
    public static readonly PrimitiveType Float = new("float");
    /// <summary><c>double</c></summary>
    public static readonly PrimitiveType Double = new("double");
    /// <summary><c>boolean</c></summary>
    public static readonly PrimitiveType Boolean = new("boolean");
    /// <summary><c>binary</c></summary>
    public static readonly PrimitiveType Binary = new("binary");
    /// <summary><c>date</c></summary>
    public static readonly PrimitiveType Date = new("date");
    /// <summary><c>timestamp</c> (microseconds, UTC-adjusted)</summary>
    public static readonly PrimitiveType Timestamp = new("timestamp");
    /// <summary><c>timestamp_ntz</c> (microseconds, no time zone)</summary>
    public static readonly PrimitiveType TimestampNtz = new("timestamp_ntz");

    internal static bool IsKnown(string name) => name switch
    {
        "string" or "long" or "integer" or "short" or "byte" or "float" or "double" or "boolean" or "binary"
            or "date" or "timestamp" or "timestamp_ntz" or "void" or "variant" => true,
        _ => false,
    };

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Primitive types compare by name.</summary>
    public bool Equals(PrimitiveType? other) => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);
}
