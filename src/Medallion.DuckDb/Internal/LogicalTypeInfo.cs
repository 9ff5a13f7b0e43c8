using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// A managed copy of a DuckDB logical type tree, read once per result column so the native
/// logical type handles can be released at once.
/// </summary>
internal sealed class LogicalTypeInfo
{
    private LogicalTypeInfo(DuckDbType id)
    {
        Id = id;
    }

    public DuckDbType Id { get; }

    /// <summary>The alias, e.g. <c>JSON</c> for a VARCHAR that holds JSON; null when none.</summary>
    public string? Alias { get; private init; }

    public byte DecimalWidth { get; private init; }

    public byte DecimalScale { get; private init; }

    /// <summary>The physical type that stores a DECIMAL (SMALLINT..HUGEINT) or an ENUM index (UTINYINT..UINTEGER).</summary>
    public DuckDbType InternalType { get; private init; }

    public IReadOnlyList<string> EnumValues { get; private init; } = [];

    /// <summary>Children: the element of LIST/ARRAY, key and value of MAP, fields of STRUCT, members of UNION.</summary>
    public IReadOnlyList<(string Name, LogicalTypeInfo Type)> Children { get; private init; } = [];

    public ulong ArraySize { get; private init; }

    public static LogicalTypeInfo FromHandle(DuckDbLogicalTypeHandle handle)
    {
        DuckDbType id = NativeMethods.LogicalType.GetTypeId(handle);
        string? alias = NativeMethods.LogicalType.GetAlias(handle);
        switch (id)
        {
            case DuckDbType.Decimal:
                return new LogicalTypeInfo(id)
                {
                    Alias = alias,
                    DecimalWidth = NativeMethods.LogicalType.DecimalWidth(handle),
                    DecimalScale = NativeMethods.LogicalType.DecimalScale(handle),
                    InternalType = NativeMethods.LogicalType.DecimalInternalType(handle),
                };
            case DuckDbType.Enum:
                uint size = NativeMethods.LogicalType.EnumDictionarySize(handle);
                var values = new string[size];
                for (uint i = 0; i < size; i++)
                {
                    values[i] = NativeMethods.LogicalType.EnumDictionaryValue(handle, i) ?? string.Empty;
                }

                return new LogicalTypeInfo(id) { Alias = alias, EnumValues = values, InternalType = NativeMethods.LogicalType.EnumInternalType(handle) };
            case DuckDbType.List:
                using (DuckDbLogicalTypeHandle child = NativeMethods.LogicalType.ListChildType(handle))
                {
                    return new LogicalTypeInfo(id) { Alias = alias, Children = [("element", FromHandle(child))] };
                }

            case DuckDbType.Array:
                using (DuckDbLogicalTypeHandle child = NativeMethods.LogicalType.ArrayChildType(handle))
                {
                    return new LogicalTypeInfo(id) { Alias = alias, Children = [("element", FromHandle(child))], ArraySize = NativeMethods.LogicalType.ArraySize(handle) };
                }

            case DuckDbType.Map:
                using (DuckDbLogicalTypeHandle key = NativeMethods.LogicalType.MapKeyType(handle))
                using (DuckDbLogicalTypeHandle value = NativeMethods.LogicalType.MapValueType(handle))
                {
                    return new LogicalTypeInfo(id) { Alias = alias, Children = [("key", FromHandle(key)), ("value", FromHandle(value))] };
                }

            case DuckDbType.Struct:
                return new LogicalTypeInfo(id) { Alias = alias, Children = ReadChildren(handle, NativeMethods.LogicalType.StructChildCount(handle), NativeMethods.LogicalType.StructChildName, NativeMethods.LogicalType.StructChildType) };
            case DuckDbType.Union:
                return new LogicalTypeInfo(id) { Alias = alias, Children = ReadChildren(handle, NativeMethods.LogicalType.UnionMemberCount(handle), NativeMethods.LogicalType.UnionMemberName, NativeMethods.LogicalType.UnionMemberType) };
            default:
                return new LogicalTypeInfo(id) { Alias = alias };
        }
    }

    private static (string, LogicalTypeInfo)[] ReadChildren(
        DuckDbLogicalTypeHandle handle,
        ulong count,
        Func<DuckDbLogicalTypeHandle, ulong, string?> name,
        Func<DuckDbLogicalTypeHandle, ulong, DuckDbLogicalTypeHandle> type)
    {
        var children = new (string, LogicalTypeInfo)[count];
        for (ulong i = 0; i < count; i++)
        {
            using DuckDbLogicalTypeHandle child = type(handle, i);
            children[i] = (name(handle, i) ?? string.Empty, FromHandle(child));
        }

        return children;
    }

    /// <summary>The type as DuckDB spells it in SQL, e.g. <c>DECIMAL(18,3)</c>, <c>STRUCT(a INTEGER, b VARCHAR[])</c>.</summary>
    public string SqlName
    {
        get
        {
            if (Alias is not null)
            {
                return Alias;
            }

            return Id switch
            {
                DuckDbType.Decimal => string.Create(CultureInfo.InvariantCulture, $"DECIMAL({DecimalWidth},{DecimalScale})"),
                DuckDbType.List => Children[0].Type.SqlName + "[]",
                DuckDbType.Array => string.Create(CultureInfo.InvariantCulture, $"{Children[0].Type.SqlName}[{ArraySize}]"),
                DuckDbType.Map => $"MAP({Children[0].Type.SqlName}, {Children[1].Type.SqlName})",
                DuckDbType.Struct => "STRUCT(" + JoinChildren() + ")",
                DuckDbType.Union => "UNION(" + JoinChildren() + ")",
                DuckDbType.Enum => "ENUM(" + string.Join(", ", EnumValues.Count > 8 ? [.. Quote(EnumValues, 8), "..."] : Quote(EnumValues, EnumValues.Count)) + ")",
                _ => SimpleName(Id),
            };
        }
    }

    private string JoinChildren()
    {
        var builder = new StringBuilder();
        for (int i = 0; i < Children.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append('"').Append(Children[i].Name.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\" ").Append(Children[i].Type.SqlName);
        }

        return builder.ToString();
    }

    private static string[] Quote(IReadOnlyList<string> values, int count)
    {
        var quoted = new string[count];
        for (int i = 0; i < count; i++)
        {
            quoted[i] = "'" + values[i].Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        return quoted;
    }

    internal static string SimpleName(DuckDbType id) => id switch
    {
        DuckDbType.Boolean => "BOOLEAN",
        DuckDbType.TinyInt => "TINYINT",
        DuckDbType.SmallInt => "SMALLINT",
        DuckDbType.Integer => "INTEGER",
        DuckDbType.BigInt => "BIGINT",
        DuckDbType.UTinyInt => "UTINYINT",
        DuckDbType.USmallInt => "USMALLINT",
        DuckDbType.UInteger => "UINTEGER",
        DuckDbType.UBigInt => "UBIGINT",
        DuckDbType.HugeInt => "HUGEINT",
        DuckDbType.UHugeInt => "UHUGEINT",
        DuckDbType.Float => "FLOAT",
        DuckDbType.Double => "DOUBLE",
        DuckDbType.Varchar => "VARCHAR",
        DuckDbType.Blob => "BLOB",
        DuckDbType.Date => "DATE",
        DuckDbType.Time => "TIME",
        DuckDbType.TimeNs => "TIME_NS",
        DuckDbType.TimeTz => "TIME WITH TIME ZONE",
        DuckDbType.Timestamp => "TIMESTAMP",
        DuckDbType.TimestampS => "TIMESTAMP_S",
        DuckDbType.TimestampMs => "TIMESTAMP_MS",
        DuckDbType.TimestampNs => "TIMESTAMP_NS",
        DuckDbType.TimestampTz => "TIMESTAMP WITH TIME ZONE",
        DuckDbType.Interval => "INTERVAL",
        DuckDbType.Uuid => "UUID",
        DuckDbType.Bit => "BIT",
        DuckDbType.BigNum => "BIGNUM",
        DuckDbType.SqlNull => "NULL",
        _ => id.ToString().ToUpperInvariant(),
    };
}
