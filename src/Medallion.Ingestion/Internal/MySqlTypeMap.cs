using System;
using System.Globalization;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// MySQL and MariaDB column types to the DuckDB types their values land in, which are also types a Delta table
/// stores, keeping every value exactly: signed and unsigned integers to the DuckDB integer of the same width
/// (BIGINT UNSIGNED and BIT to UBIGINT), DECIMAL up to 28 digits as .NET decimals and up to 38 as text cast to
/// DECIMAL(p,s), wider ones as text; FLOAT and DOUBLE; DATE, DATETIME (TIMESTAMP), TIMESTAMP (TIMESTAMPTZ, read in
/// UTC); TIME as its text (it is a duration of up to 838 hours, and Delta has no time type); text types, ENUM and
/// SET to VARCHAR; JSON; binary types to BLOB; MariaDB's UUID, INET4 and INET6 types; spatial types as WKT text.
/// A type this map does not know lands as its text and is reported as kept as text. The README's type table says
/// where each one lands; keep both in step.
/// </summary>
internal static class MySqlTypeMap
{
    /// <summary>Plans one column from <c>information_schema.COLUMNS</c>.</summary>
    public static ColumnPlan Plan(string name, string dataType, string columnType, long? precision, long? scale)
    {
        string q = MySqlSql.QuoteIdentifier(name);
        bool unsigned = columnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase);
        return dataType.ToLowerInvariant() switch
        {
            "tinyint" => Integer(name, columnType, q, unsigned ? "UTINYINT" : "TINYINT"),
            "smallint" => Integer(name, columnType, q, unsigned ? "USMALLINT" : "SMALLINT"),
            "mediumint" or "int" or "integer" => Integer(name, columnType, q, unsigned ? "UINTEGER" : "INTEGER"),
            "bigint" when unsigned => new ColumnPlan(name, columnType, q, ValueKind.UInt64, "DECIMAL(20,0)", "UBIGINT", "CAST({0} AS UBIGINT)"),
            "bigint" => Integer(name, columnType, q, "BIGINT"),
            "bit" => new ColumnPlan(name, columnType, q, ValueKind.UInt64, "DECIMAL(20,0)", "UBIGINT", "CAST({0} AS UBIGINT)"),
            "year" => Integer(name, columnType, q, "SMALLINT"),
            "decimal" or "numeric" => Decimal(name, columnType, q, precision ?? 65, scale ?? 0),
            // The text protocol prints a FLOAT with 6 digits; widened to DOUBLE it is printed exactly, and narrows back losslessly.
            "float" => new ColumnPlan(name, columnType, $"({q} + 0e0)", ValueKind.Double, "FLOAT", "FLOAT"),
            "double" or "real" => new ColumnPlan(name, columnType, q, ValueKind.Double, "DOUBLE", "DOUBLE"),
            // Through CAST so that the driver never turns a CHAR(36) into a Guid.
            "char" or "varchar" or "tinytext" or "text" or "mediumtext" or "longtext" or "enum" or "set" => Text(name, columnType, q),
            "json" => new ColumnPlan(name, columnType, q, ValueKind.Text, "VARCHAR", "JSON", "CAST({0} AS JSON)"),
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" => new ColumnPlan(name, columnType, q, ValueKind.Bytes, "BLOB", "BLOB"),
            "date" => new ColumnPlan(name, columnType, q, ValueKind.Date, "DATE", "DATE"),
            "datetime" => new ColumnPlan(name, columnType, q, ValueKind.Timestamp, "TIMESTAMP", "TIMESTAMP"),
            "timestamp" => new ColumnPlan(name, columnType, q, ValueKind.TimestampTz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
            "time" => Text(name, columnType, q),
            "uuid" => Text(name, columnType, q) with { DuckDbType = "UUID", ConvertSql = "CAST({0} AS UUID)" },
            "inet4" or "inet6" => Text(name, columnType, q),
            "geometry" or "point" or "linestring" or "polygon" or "multipoint" or "multilinestring" or "multipolygon" or "geometrycollection" =>
                new ColumnPlan(name, columnType, $"ST_AsText({q})", ValueKind.Text, "VARCHAR", "VARCHAR"),
            _ => Text(name, columnType, q) with { KeptAsText = true },
        };
    }

    /// <summary>The type a cursor value (kept as text) is cast back to in the WHERE clause, or null to compare as text.</summary>
    public static string? CursorCast(string dataType, string columnType, long? precision, long? scale) => dataType.ToLowerInvariant() switch
    {
        "tinyint" or "smallint" or "mediumint" or "int" or "integer" or "bigint" or "bit" =>
            columnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase) || dataType == "bit" ? "UNSIGNED" : "SIGNED",
        "year" => "SIGNED",
        "decimal" or "numeric" => string.Create(CultureInfo.InvariantCulture, $"DECIMAL({precision ?? 65},{scale ?? 0})"),
        "float" or "double" or "real" => "DOUBLE",
        "date" => "DATE",
        "datetime" or "timestamp" => "DATETIME(6)",
        "time" => "TIME(6)",
        _ => null,
    };

    private static ColumnPlan Text(string name, string columnType, string quoted) =>
        new(name, columnType, $"CAST({quoted} AS CHAR)", ValueKind.Text, "VARCHAR", "VARCHAR");

    private static ColumnPlan Integer(string name, string columnType, string quoted, string duckType)
    {
        ValueKind kind = duckType is "BIGINT" or "UINTEGER" ? ValueKind.Int64 : ValueKind.Int32;
        return new ColumnPlan(name, columnType, quoted, kind, duckType, duckType);
    }

    private static ColumnPlan Decimal(string name, string columnType, string quoted, long precision, long scale)
    {
        if (precision > 38)
        {
            return new ColumnPlan(name, columnType, $"CAST({quoted} AS CHAR)", ValueKind.Text, "VARCHAR", "VARCHAR");
        }

        string type = string.Create(CultureInfo.InvariantCulture, $"DECIMAL({precision},{scale})");
        return precision <= 28
            ? new ColumnPlan(name, columnType, quoted, ValueKind.Decimal, type, type)
            : new ColumnPlan(name, columnType, $"CAST({quoted} AS CHAR)", ValueKind.Text, "VARCHAR", type, $"CAST({{0}} AS {type})");
    }
}
