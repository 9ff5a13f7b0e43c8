using System.Globalization;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// PostgreSQL column types to the DuckDB types their values land in, which are also types a Delta table stores, so
/// bronze never refuses a table for a column's type. Every value is kept exactly: integers, floats, booleans, dates,
/// timestamps and UUIDs travel in binary; numerics up to 28 digits as .NET decimals and up to 38 as text cast to
/// DECIMAL(38,s) in DuckDB; wider or unconstrained numerics stay text because DuckDB's DECIMAL stops at 38 digits;
/// one-dimensional arrays become LISTs. Types that neither DuckDB nor Delta has (time, timetz, interval, money,
/// network, bit strings, xml, text search, ranges, geometric types, hstore, composites, enums, ...) land as the
/// text PostgreSQL prints for them (intervals in ISO 8601, money as its number), which casts back without loss.
/// A type this map does not know (one of an extension) lands as its text too, and is reported as kept as text.
/// The README's type table says where each one lands; keep both in step.
/// </summary>
internal static class PostgresTypeMap
{
    /// <summary>The session setting that makes PostgreSQL print intervals the way bronze keeps them.</summary>
    public const string IntervalStyle = "iso_8601";

    /// <summary>Plans one column.</summary>
    /// <param name="name">The column name.</param>
    /// <param name="declared">The declared type text (<c>format_type</c>).</param>
    /// <param name="typeName">The type's <c>pg_type.typname</c> (of the base type for a domain).</param>
    /// <param name="typeType">The type's <c>pg_type.typtype</c>: b base, e enum, c composite, r range, m multirange.</param>
    /// <param name="typmod">The type modifier (precision and scale of numerics), -1 when none.</param>
    /// <param name="elementName">For an array, its element's <c>typname</c>.</param>
    /// <param name="elementType">For an array, its element's <c>typtype</c>.</param>
    /// <param name="fromText">
    /// The values arrive as PostgreSQL's text (logical replication) rather than in binary COPY: the plan converts that
    /// text in DuckDB into the same type a COPY gives, except arrays, which stay in PostgreSQL's array text.
    /// </param>
    public static ColumnPlan Plan(string name, string declared, string typeName, char typeType, int typmod, string? elementName, char? elementType, bool fromText)
    {
        ColumnPlan copy = Copy(name, declared, typeName, typeType, typmod, elementName, elementType);
        if (!fromText)
        {
            return copy;
        }

        string duckType = elementName is null ? copy.DuckDbType : "VARCHAR";
        string? convert = duckType != "VARCHAR" ? (copy.Kind == ValueKind.Bytes ? "from_hex(substr({0}, 3))" : $"CAST({{0}} AS {duckType})")
            // pgoutput prints money in the server's lc_monetary ("-$1,234.56"); the COPY path reads its number instead.
            : typeName == "money" ? "regexp_replace({0}, '[^0-9.-]', '', 'g')"
            : null;
        // The snapshot's COPY must give the text pgoutput sends: the COPY plan's own text where it reads one.
        string select = copy.Kind == ValueKind.Text && elementName is null ? copy.SelectSql : PostgresSql.QuoteIdentifier(name) + "::text";
        return copy with { SelectSql = select, Kind = ValueKind.Text, StageType = "VARCHAR", DuckDbType = duckType, ConvertSql = convert };
    }

    private static ColumnPlan Copy(string name, string declared, string typeName, char typeType, int typmod, string? elementName, char? elementType)
    {
        string q = PostgresSql.QuoteIdentifier(name);
        if (elementName is not null)
        {
            string element = ElementType(elementName, elementType ?? 'b', typmod);
            // Elements travel as the text PostgreSQL prints for them, in a JSON array (exact, NULL-preserving),
            // and DuckDB casts each one to the element type.
            string list = "CAST(CAST({0} AS JSON) AS VARCHAR[])";
            string convert = element == "VARCHAR" ? list : $"list_transform({list}, x -> CAST(x AS {element}))";
            string texts = elementName switch
            {
                "money" => q + "::numeric[]::text[]",
                // Their casts to text differ from their output (a netmask added, padding cut); JSON prints the output.
                "inet" or "cidr" or "bpchar" => q,
                _ => q + "::text[]",
            };
            return new ColumnPlan(name, declared, $"array_to_json({texts})::text", ValueKind.Text, "VARCHAR", element + "[]", convert);
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
            // money's number, without the currency symbol and separators of the server's locale.
            "money" => new ColumnPlan(name, declared, q + "::numeric::text", ValueKind.Text, "VARCHAR", "VARCHAR"),
            "text" or "varchar" or "bpchar" => new ColumnPlan(name, declared, q, ValueKind.Text, "VARCHAR", "VARCHAR"),
            "bytea" => new ColumnPlan(name, declared, q, ValueKind.Bytes, "BLOB", "BLOB"),
            "date" => new ColumnPlan(name, declared, q, ValueKind.Date, "DATE", "DATE"),
            "timestamp" => new ColumnPlan(name, declared, q, ValueKind.Timestamp, "TIMESTAMP", "TIMESTAMP"),
            "timestamptz" => new ColumnPlan(name, declared, q, ValueKind.TimestampTz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
            "uuid" => new ColumnPlan(name, declared, q, ValueKind.Uuid, "UUID", "UUID"),
            "json" or "jsonb" => new ColumnPlan(name, declared, q + "::text", ValueKind.Text, "VARCHAR", "JSON", "CAST({0} AS JSON)"),
            // inet's cast to text adds the netmask its output leaves out; format prints the output (pgoutput's text).
            "inet" or "cidr" => new ColumnPlan(name, declared, $"nullif(format('%s', {q}), '')", ValueKind.Text, "VARCHAR", "VARCHAR"),
            _ when typeType is 'e' or 'c' or 'r' or 'm' || s_textTypes.Contains(typeName) => Text(name, declared, q),
            _ => Text(name, declared, q) with { KeptAsText = true },
        };
    }

    // Built-in (and contrib) types that land as their text on purpose: neither DuckDB nor Delta has them, or (name,
    // "char") their text is all they are. Times and intervals included: Delta has no time-of-day or interval type.
    private static readonly System.Collections.Generic.HashSet<string> s_textTypes =
    [
        "name", "char", "citext", "xml", "time", "timetz", "interval", "jsonpath", "refcursor", "int2vector", "oidvector",
        "macaddr", "macaddr8", "bit", "varbit",
        "tsvector", "tsquery", "point", "line", "lseg", "box", "path", "polygon", "circle",
        "pg_lsn", "pg_snapshot", "txid_snapshot", "xid", "xid8", "cid", "tid",
        "regclass", "regproc", "regprocedure", "regoper", "regoperator", "regtype", "regconfig", "regdictionary",
        "regnamespace", "regrole", "regcollation", "aclitem", "hstore",
    ];

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

    // Elements of any other type keep their text, as the scalar does.
    private static string ElementType(string elementName, char elementType, int typmod) => elementType != 'b'
        ? "VARCHAR"
        : elementName switch
        {
            "bool" => "BOOLEAN",
            "int2" => "SMALLINT",
            "int4" => "INTEGER",
            "int8" or "oid" => "BIGINT",
            "float4" => "FLOAT",
            "float8" => "DOUBLE",
            "numeric" => DecimalType(typmod) ?? "VARCHAR",
            "date" => "DATE",
            "timestamp" => "TIMESTAMP",
            "timestamptz" => "TIMESTAMPTZ",
            "uuid" => "UUID",
            "json" or "jsonb" => "JSON",
            _ => "VARCHAR",
        };
}
