using System;
using System.Collections.Generic;
using System.Globalization;

namespace Medallion.PgWire.Protocol;

/// <summary>How values of a PostgreSQL type are encoded.</summary>
internal enum PgTypeKind
{
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Array,
}

/// <summary>
/// A PostgreSQL type we send or accept, with its OID from PostgreSQL's <c>pg_type.dat</c>, so clients
/// that cache types by OID decode our values as their own.
/// </summary>
internal sealed record PgType(int Oid, string Name, short Length, PgTypeKind Kind, int ArrayOid, PgType? Element = null)
{
    public static readonly PgType Bool = new(16, "bool", 1, PgTypeKind.Bool, 1000);
    public static readonly PgType Bytea = new(17, "bytea", -1, PgTypeKind.Bytea, 1001);
    public static readonly PgType NameType = new(19, "name", 64, PgTypeKind.Text, 1003);
    public static readonly PgType Int8 = new(20, "int8", 8, PgTypeKind.Int8, 1016);
    public static readonly PgType Int2 = new(21, "int2", 2, PgTypeKind.Int2, 1005);
    public static readonly PgType Int4 = new(23, "int4", 4, PgTypeKind.Int4, 1007);
    public static readonly PgType Text = new(25, "text", -1, PgTypeKind.Text, 1009);
    public static readonly PgType OidType = new(26, "oid", 4, PgTypeKind.Int4, 1028);
    public static readonly PgType Json = new(114, "json", -1, PgTypeKind.Json, 199);
    public static readonly PgType Float4 = new(700, "float4", 4, PgTypeKind.Float4, 1021);
    public static readonly PgType Float8 = new(701, "float8", 8, PgTypeKind.Float8, 1022);
    public static readonly PgType Unknown = new(705, "unknown", -2, PgTypeKind.Text, 0);
    public static readonly PgType Bpchar = new(1042, "bpchar", -1, PgTypeKind.Text, 1014);
    public static readonly PgType Varchar = new(1043, "varchar", -1, PgTypeKind.Text, 1015);
    public static readonly PgType Date = new(1082, "date", 4, PgTypeKind.Date, 1182);
    public static readonly PgType Time = new(1083, "time", 8, PgTypeKind.Time, 1183);
    public static readonly PgType Timestamp = new(1114, "timestamp", 8, PgTypeKind.Timestamp, 1115);
    public static readonly PgType TimestampTz = new(1184, "timestamptz", 8, PgTypeKind.TimestampTz, 1185);
    public static readonly PgType Interval = new(1186, "interval", 16, PgTypeKind.Interval, 1187);
    public static readonly PgType Numeric = new(1700, "numeric", -1, PgTypeKind.Numeric, 1231);
    public static readonly PgType Uuid = new(2950, "uuid", 16, PgTypeKind.Uuid, 2951);
    public static readonly PgType Jsonb = new(3802, "jsonb", -1, PgTypeKind.Json, 3807);

    private static readonly Dictionary<int, PgType> s_byOid = BuildByOid();

    private static readonly Dictionary<string, PgType> s_byDuckDbName = new(StringComparer.Ordinal)
    {
        ["BOOLEAN"] = Bool,
        ["TINYINT"] = Int2,
        ["SMALLINT"] = Int2,
        ["UTINYINT"] = Int2,
        ["INTEGER"] = Int4,
        ["USMALLINT"] = Int4,
        ["BIGINT"] = Int8,
        ["UINTEGER"] = Int8,
        ["HUGEINT"] = Numeric,
        ["UBIGINT"] = Numeric,
        ["UHUGEINT"] = Numeric,
        ["BIGNUM"] = Numeric,
        ["FLOAT"] = Float4,
        ["DOUBLE"] = Float8,
        ["VARCHAR"] = Text,
        ["BLOB"] = Bytea,
        ["DATE"] = Date,
        ["TIME"] = Time,
        ["TIME_NS"] = Time,
        ["TIMESTAMP"] = Timestamp,
        ["TIMESTAMP_S"] = Timestamp,
        ["TIMESTAMP_MS"] = Timestamp,
        ["TIMESTAMP_NS"] = Timestamp,
        ["TIMESTAMP WITH TIME ZONE"] = TimestampTz,
        ["INTERVAL"] = Interval,
        ["UUID"] = Uuid,
        ["JSON"] = Json,
    };

    public bool IsArray => Kind == PgTypeKind.Array;

    /// <summary>The array type whose elements are this type.</summary>
    public PgType MakeArray() => new(ArrayOid, "_" + Name, -1, PgTypeKind.Array, 0, this);

    public static PgType? FromOid(int oid) => s_byOid.GetValueOrDefault(oid);

    /// <summary>
    /// The PostgreSQL type for a DuckDB column type name (as <c>DuckDbDataReader.GetDataTypeName</c>
    /// spells it), and the type modifier (numeric precision and scale). Types PostgreSQL has no
    /// counterpart for (STRUCT, MAP, UNION, nested lists, BIT, ...) are sent as text, in DuckDB's rendering.
    /// </summary>
    public static PgType FromDuckDb(string duckDbType, out int typeModifier)
    {
        typeModifier = -1;
        if (duckDbType.EndsWith(']') && !duckDbType.StartsWith("STRUCT", StringComparison.Ordinal)
            && !duckDbType.StartsWith("MAP", StringComparison.Ordinal) && !duckDbType.StartsWith("UNION", StringComparison.Ordinal))
        {
            int open = duckDbType.LastIndexOf('[');
            string element = duckDbType[..open];
            if (element.EndsWith(']'))
            {
                return Text;
            }

            PgType elementType = FromDuckDb(element, out _);
            return elementType == Text && !element.StartsWith("VARCHAR", StringComparison.Ordinal) ? Text : elementType.MakeArray();
        }

        if (duckDbType.StartsWith("DECIMAL(", StringComparison.Ordinal))
        {
            string[] parts = duckDbType[8..^1].Split(',');
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int precision)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int scale))
            {
                typeModifier = ((precision << 16) | scale) + 4;
            }

            return Numeric;
        }

        return s_byDuckDbName.GetValueOrDefault(duckDbType, Text);
    }

    /// <summary>DuckDB's simple type names and the PostgreSQL type each is sent as; anything else is text.</summary>
    internal static IReadOnlyDictionary<string, PgType> ByDuckDbName => s_byDuckDbName;

    private static Dictionary<int, PgType> BuildByOid()
    {
        var map = new Dictionary<int, PgType>();
        foreach (PgType type in (PgType[])[Bool, Bytea, NameType, Int8, Int2, Int4, Text, OidType, Json, Float4, Float8, Unknown, Bpchar, Varchar, Date, Time, Timestamp, TimestampTz, Interval, Numeric, Uuid, Jsonb])
        {
            map[type.Oid] = type;
            if (type.ArrayOid != 0)
            {
                map[type.ArrayOid] = type.MakeArray();
            }
        }

        return map;
    }
}
