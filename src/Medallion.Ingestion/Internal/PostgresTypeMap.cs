using System.Globalization;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// PostgreSQL column types to DuckDB types. Each mapping keeps every value exactly: integers, floats, booleans,
/// dates, times, timestamps and UUIDs travel in binary; numerics up to 28 digits as .NET decimals and up to 38
/// as text cast to DECIMAL(38,s) in DuckDB; wider or unconstrained numerics stay text (VARCHAR) because DuckDB's
/// DECIMAL stops at 38 digits; intervals keep months, days and microseconds apart; one-dimensional arrays of the
/// scalar types become LISTs; enums and network types become text. Anything else is refused with a clear error.
/// </summary>
internal static class PostgresTypeMap
{
    /// <summary>Plans one column, or returns null when its type has no faithful mapping.</summary>
    /// <param name="name">The column name.</param>
    /// <param name="declared">The declared type text (<c>format_type</c>).</param>
    /// <param name="typeName">The type's <c>pg_type.typname</c> (of the base type for a domain).</param>
    /// <param name="typeType">The type's <c>pg_type.typtype</c>: b base, e enum, ...</param>
    /// <param name="typmod">The type modifier (precision and scale of numerics), -1 when none.</param>
    /// <param name="elementName">For an array, its element's <c>typname</c>.</param>
    /// <param name="elementType">For an array, its element's <c>typtype</c>.</param>
    public static ColumnPlan? Plan(string name, string declared, string typeName, char typeType, int typmod, string? elementName, char? elementType)
    {
        string q = PostgresSql.QuoteIdentifier(name);
        if (elementName is not null)
        {
            string? element = ElementType(elementName, elementType ?? 'b', typmod);
            if (element is null)
            {
                return null;
            }

            // Elements travel as the text PostgreSQL prints for them, in a JSON array (exact, NULL-preserving),
            // and DuckDB casts each one to the element type.
            string list = "CAST(CAST({0} AS JSON) AS VARCHAR[])";
            string convert = element == "VARCHAR" ? list : $"list_transform({list}, x -> CAST(x AS {element}))";
            return new ColumnPlan(name, declared, $"array_to_json({q}::text[])::text", ValueKind.Text, "VARCHAR", element + "[]", convert);
        }

        if (typeType == 'e')
        {
            return Text(name, declared, q);
        }

        return typeName switch
        {
            "bool" => new ColumnPlan(name, declared, q, ValueKind.Boolean, "BOOLEAN", "BOOLEAN"),
            "int2" => new ColumnPlan(name, declared, q, ValueKind.Int16, "SMALLINT", "SMALLINT"),
            "int4" => new ColumnPlan(name, declared, q, ValueKind.Int32, "INTEGER", "INTEGER"),
            "int8" => new ColumnPlan(name, declared, q, ValueKind.Int64, "BIGINT", "BIGINT"),
            "oid" => new ColumnPlan(name, declared, q + "::int8", ValueKind.Int64, "BIGINT", "BIGINT"),
            "float4" => new ColumnPlan(name, declared, q, ValueKind.Single, "FLOAT", "FLOAT"),
            "float8" => new ColumnPlan(name, declared, q, ValueKind.Double, "DOUBLE", "DOUBLE"),
            "numeric" => Numeric(name, declared, q, typmod),
            "text" or "varchar" or "bpchar" => new ColumnPlan(name, declared, q, ValueKind.Text, "VARCHAR", "VARCHAR"),
            "name" or "char" or "citext" or "xml" or "inet" or "cidr" or "macaddr" or "macaddr8" or "bit" or "varbit" => Text(name, declared, q),
            "bytea" => new ColumnPlan(name, declared, q, ValueKind.Bytes, "BLOB", "BLOB"),
            "date" => new ColumnPlan(name, declared, q, ValueKind.Date, "DATE", "DATE"),
            "time" => new ColumnPlan(name, declared, q, ValueKind.Time, "TIME", "TIME"),
            "timetz" => new ColumnPlan(name, declared, q + "::text", ValueKind.Text, "VARCHAR", "TIMETZ", "CAST({0} AS TIMETZ)"),
            "timestamp" => new ColumnPlan(name, declared, q, ValueKind.Timestamp, "TIMESTAMP", "TIMESTAMP"),
            "timestamptz" => new ColumnPlan(name, declared, q, ValueKind.TimestampTz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
            "interval" => new ColumnPlan(name, declared, q, ValueKind.Interval, "VARCHAR", "INTERVAL", "CAST({0} AS INTERVAL)"),
            "uuid" => new ColumnPlan(name, declared, q, ValueKind.Uuid, "UUID", "UUID"),
            "json" or "jsonb" => new ColumnPlan(name, declared, q + "::text", ValueKind.Text, "VARCHAR", "JSON", "CAST({0} AS JSON)"),
            _ => null,
        };
    }

    private static ColumnPlan Text(string name, string declared, string quoted) =>
        new(name, declared, quoted + "::text", ValueKind.Text, "VARCHAR", "VARCHAR");

    private static ColumnPlan Numeric(string name, string declared, string quoted, int typmod)
    {
        string? type = DecimalType(typmod);
        if (type is null)
        {
            return Text(name, declared, quoted);
        }

        (int precision, _) = PrecisionScale(typmod);
        return precision <= 28
            ? new ColumnPlan(name, declared, quoted, ValueKind.Decimal, type, type)
            : new ColumnPlan(name, declared, quoted + "::text", ValueKind.Text, "VARCHAR", type, $"CAST({{0}} AS {type})");
    }

    /// <summary>DECIMAL(p,s) for a numeric that DuckDB holds exactly, null for unconstrained, wider or odd-scaled ones.</summary>
    private static string? DecimalType(int typmod)
    {
        if (typmod < 4)
        {
            return null;
        }

        (int precision, int scale) = PrecisionScale(typmod);
        return precision is >= 1 and <= 38 && scale >= 0 && scale <= precision
            ? string.Create(CultureInfo.InvariantCulture, $"DECIMAL({precision},{scale})")
            : null;
    }

    // numeric's typmod is ((precision << 16) | scale) + 4, the scale an 11-bit signed field since PostgreSQL 15.
    private static (int Precision, int Scale) PrecisionScale(int typmod)
    {
        int packed = typmod - 4;
        int scale = packed & 0x7ff;
        return ((packed >> 16) & 0xffff, scale >= 0x400 ? scale - 0x800 : scale);
    }

    private static string? ElementType(string elementName, char elementType, int typmod) => elementType == 'e'
        ? "VARCHAR"
        : elementName switch
        {
            "bool" => "BOOLEAN",
            "int2" => "SMALLINT",
            "int4" => "INTEGER",
            "int8" => "BIGINT",
            "float4" => "FLOAT",
            "float8" => "DOUBLE",
            "numeric" => DecimalType(typmod) ?? "VARCHAR",
            "text" or "varchar" or "bpchar" or "name" or "citext" => "VARCHAR",
            "date" => "DATE",
            "time" => "TIME",
            "timestamp" => "TIMESTAMP",
            "timestamptz" => "TIMESTAMPTZ",
            "uuid" => "UUID",
            "json" or "jsonb" => "JSON",
            _ => null,
        };
}
