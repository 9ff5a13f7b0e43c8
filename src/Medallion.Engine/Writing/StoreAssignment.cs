using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Medallion.Delta.Schema;
using Medallion.DuckDb;

namespace Medallion.Engine.Writing;

/// <summary>
/// Which values a column of a Delta table takes, and how they are converted: Spark's ANSI store assignment
/// (<c>spark.sql.storeAssignmentPolicy=ANSI</c>, <c>Cast.canANSIStoreAssign</c>), the rule Spark applies to INSERT,
/// UPDATE and MERGE. Every write path (writes, staged writes of models and sources, UPDATE, MERGE) asks this one place,
/// so a value a table takes in one it takes in all, converted the same way.
/// </summary>
/// <remarks>
/// <para>Taken: the same type; any number into any number (byte, short, integer, long, float, double, decimal); any
/// date or time (<c>date</c>, <c>timestamp</c>, <c>timestamp_ntz</c>) into another; a number, boolean, date or time into
/// <c>string</c>; arrays, maps and structs whose parts are taken (a struct's fields matched by name, missing ones null);
/// a null of any type. Refused: text into a number or a date, a boolean into a number, anything into a boolean or
/// binary but itself.</para>
/// <para>A number that may not fit its column is checked row by row, as Spark's ANSI cast does: a decimal is rounded
/// half up to the column's scale, a fraction into an integer column loses its fraction (toward zero), and a value whose
/// result is out of the column's range stops the statement (DuckDB's <c>error()</c> aborts the query, so nothing is
/// written) with an error naming the column, the value and the row's key (<see cref="StoreTarget"/>). A
/// <c>timestamp</c> is an instant in UTC (as Delta and Spark store it): a wall-clock time or a date becomes the instant
/// it names in UTC, and an instant becomes its UTC wall-clock time or date, never in the writing session's time zone.</para>
/// </remarks>
internal static class StoreAssignment
{
    /// <summary>The marker in the messages of out-of-range errors raised inside DuckDB (see <see cref="DeltaWriter.TranslateWriteError"/>).</summary>
    public const string OutOfRangeMarker = "Delta value out of range: ";

    private static readonly string[] s_numericPrecedence = ["byte", "short", "integer", "long", "float", "double"];

    /// <summary>Whether a column of <paramref name="to"/> takes values of <paramref name="from"/> (DuckDB type <paramref name="duckType"/>).</summary>
    public static bool Allows(DeltaType from, DeltaType to, string duckType) =>
        duckType is "NULL" or "\"NULL\"" || Allows(from, to);

    private static bool Allows(DeltaType from, DeltaType to)
    {
        switch (from, to)
        {
            case (ArrayType a, ArrayType b):
                return Allows(a.ElementType, b.ElementType);
            case (MapType a, MapType b):
                return Allows(a.KeyType, b.KeyType) && Allows(a.ValueType, b.ValueType);
            case (StructType a, StructType b):
                foreach (StructField f in a.Fields)
                {
                    if (b.Find(f.Name) is not { } target || !Allows(f.Type, target.Type))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return from.Equals(to)
                    || (IsNumber(from) && IsNumber(to))
                    || (IsDateOrTime(from) && IsDateOrTime(to))
                    || (to is PrimitiveType { Name: "string" } && (IsNumber(from) || IsDateOrTime(from) || from is PrimitiveType { Name: "boolean" }));
        }
    }

    private static bool IsNumber(DeltaType type) => type is DecimalType || (type is PrimitiveType p && Array.IndexOf(s_numericPrecedence, p.Name) >= 0);

    private static bool IsDateOrTime(DeltaType type) => type is PrimitiveType { Name: "date" or "timestamp" or "timestamp_ntz" };

    /// <summary>
    /// Whether every value of <paramref name="from"/> becomes a <paramref name="to"/> value with nothing lost, so that no
    /// row needs a check (Spark's up-cast rule, <c>UpCastRule.canUpCast</c>).
    /// </summary>
    private static bool Widens(DeltaType from, DeltaType to) => (from, to) switch
    {
        (PrimitiveType a, PrimitiveType b) => a.Name == b.Name
            || (Array.IndexOf(s_numericPrecedence, a.Name) is int fa and >= 0 && Array.IndexOf(s_numericPrecedence, b.Name) > fa)
            || (a.Name == "date" && b.Name is "timestamp" or "timestamp_ntz")
            || (a.Name == "timestamp_ntz" && b.Name == "timestamp"),
        (DecimalType, PrimitiveType { Name: "double" or "float" }) => true,
        (DecimalType a, DecimalType b) => b.Scale >= a.Scale && b.Precision - b.Scale >= a.Precision - a.Scale,
        (PrimitiveType a, DecimalType b) => IntegerDigits(a.Name) is int digits && b.Precision - b.Scale >= digits,
        _ => false,
    };

    private static int? IntegerDigits(string integer) => integer switch
    {
        "byte" => 3,
        "short" => 5,
        "integer" => 10,
        "long" => 19,
        _ => null,
    };

    /// <summary>
    /// The DuckDB expression that turns <paramref name="expression"/> (of <paramref name="from"/>, which
    /// <see cref="Allows(DeltaType, DeltaType, string)"/> accepted, or null when unknown) into a <paramref name="to"/>
    /// value, failing the statement for a value that does not fit, named as <paramref name="target"/> says.
    /// </summary>
    public static string Convert(string expression, DeltaType? from, DeltaType to, StoreTarget target) => Convert(expression, from, to, target, 0);

    private static string Convert(string expression, DeltaType? from, DeltaType to, StoreTarget target, int depth)
    {
        string type = DuckDbTypes.ToDuckDb(to);
        if (from is null || IsPlainCast(from, to))
        {
            return $"CAST({expression} AS {type})";
        }

        string e = "__e" + depth.ToString(CultureInfo.InvariantCulture);
        switch (from, to)
        {
            case (ArrayType a, ArrayType b):
                return $"CAST(list_transform({expression}, lambda {e}: {Convert(e, a.ElementType, b.ElementType, target, depth + 1)}) AS {type})";
            case (MapType a, MapType b):
                return $"CAST(map_from_entries(list_transform(map_entries({expression}), lambda {e}: {{'key': {Convert(e + ".key", a.KeyType, b.KeyType, target, depth + 1)}, 'value': {Convert(e + ".value", a.ValueType, b.ValueType, target, depth + 1)}}})) AS {type})";
            case (StructType a, StructType b):
                var fields = new StringBuilder();
                foreach (StructField f in b.Fields)
                {
                    StructField? source = a.Find(f.Name);
                    string value = source is null ? $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)})" : Convert($"({expression}).{DuckDbConnection.QuoteIdentifier(source.Name)}", source.Type, f.Type, target, depth + 1);
                    fields.Append(fields.Length == 0 ? string.Empty : ", ").Append(DuckDbConnection.QuoteIdentifier(f.Name)).Append(" := ").Append(value);
                }

                return $"CASE WHEN ({expression}) IS NULL THEN NULL ELSE struct_pack({fields}) END";
            default:
                return ConvertValue(expression, from, to, type, target);
        }
    }

    /// <summary>One value (not an array, map or struct) into its column's type.</summary>
    private static string ConvertValue(string expression, DeltaType from, DeltaType to, string type, StoreTarget target)
    {
        switch (from, to)
        {
            // A plain CAST would read a wall-clock time in the session's TimeZone (the machine's, unless set), so the
            // instant stored would depend on where the write ran; and the other way, show the instant in that zone.
            case (PrimitiveType { Name: "timestamp_ntz" or "date" }, PrimitiveType { Name: "timestamp" }):
                return $"timezone('UTC', CAST({expression} AS TIMESTAMP))";
            case (PrimitiveType { Name: "timestamp" }, PrimitiveType { Name: "timestamp_ntz" or "date" or "string" }):
                return $"CAST(timezone('UTC', {expression}) AS {type})";
            case (_, PrimitiveType { Name: "string" or "date" or "timestamp_ntz" }):
                return $"CAST({expression} AS {type})";
            default:
                return CheckedNumber(expression, from, to, type, target);
        }
    }

    /// <summary>
    /// A number into a number column that may not hold it: Spark's ANSI cast (a fraction into an integer truncated toward
    /// zero, a decimal rounded half up, which DuckDB's cast does), with <c>error()</c> for a value out of range.
    /// </summary>
    private static string CheckedNumber(string expression, DeltaType from, DeltaType to, string type, StoreTarget target)
    {
        bool fractionIntoInteger = from is DecimalType or PrimitiveType { Name: "float" or "double" } && to is PrimitiveType p && IntegerDigits(p.Name) is not null;
        string value = fractionIntoInteger ? $"trunc({expression})" : expression;
        string where = target.Column is null ? $"{to}" : $"column '{target.Column}' ({to}) of the Delta table at '{target.Table}'";
        string message = DuckDbConnection.QuoteLiteral(OutOfRangeMarker + "The value ") + $" || CAST({expression} AS VARCHAR) || " +
            DuckDbConnection.QuoteLiteral($" does not fit {where}") + (target.RowKey is null ? string.Empty : " || ' in the row ' || " + target.RowKey) + " || '.'";
        return $"CASE WHEN ({expression}) IS NULL THEN NULL ELSE coalesce(TRY_CAST({value} AS {type}), error({message})) END";
    }

    /// <summary>
    /// The rows of <paramref name="relation"/> (aliased <c>target</c>) with every byte, short and integer column as a
    /// long, for evaluating assignments over them. Arithmetic then runs in a type wide enough for its result, as Spark's
    /// does (a short plus the literal 1 is an integer there), and the store assignment refuses a result its column does
    /// not hold, naming the column, the value and the row; in the column's own type DuckDB fails on the overflow instead
    /// (it types the literal 1 of <c>small + 1</c> as a short), naming none of them. Null when no column is that narrow.
    /// </summary>
    public static string? WidenIntegers(string relation, StructType schema)
    {
        var widened = new List<string>();
        foreach (StructField f in schema.Fields)
        {
            if (IsWidened(f.Type))
            {
                string column = DuckDbConnection.QuoteIdentifier(f.Name);
                widened.Add($"CAST(target.{column} AS BIGINT) AS {column}");
            }
        }

        return widened.Count == 0 ? null : $"SELECT * REPLACE ({string.Join(", ", widened)}) FROM ({relation}) AS target";
    }

    /// <summary>Whether <see cref="WidenIntegers"/> widens a column of <paramref name="type"/>: its values read there must be cast back to it.</summary>
    public static bool IsWidened(DeltaType type) => type is PrimitiveType { Name: "byte" or "short" or "integer" };

    /// <summary>Whether DuckDB's CAST of a <paramref name="from"/> value into <paramref name="to"/> is the store assignment itself: nothing to check, no time zone to pin.</summary>
    private static bool IsPlainCast(DeltaType from, DeltaType to) => (from, to) switch
    {
        (ArrayType a, ArrayType b) => IsPlainCast(a.ElementType, b.ElementType),
        (MapType a, MapType b) => IsPlainCast(a.KeyType, b.KeyType) && IsPlainCast(a.ValueType, b.ValueType),
        (StructType a, StructType b) => FieldsArePlainCasts(a, b),
        (PrimitiveType { Name: "timestamp_ntz" or "date" }, PrimitiveType { Name: "timestamp" }) => false,
        _ => Widens(from, to),
    };

    private static bool FieldsArePlainCasts(StructType from, StructType to)
    {
        foreach (StructField f in from.Fields)
        {
            if (to.Find(f.Name) is { } target && !IsPlainCast(f.Type, target.Type))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The SQL (a VARCHAR expression) that names a row in an error: its key's values, <c>a = 1, b = x</c>. The key is the
    /// table's partition columns and its first other column (usually its id), leaving out <paramref name="column"/>,
    /// the one being assigned; <paramref name="valueOf"/> gives the SQL of a key column's value in the statement, or null
    /// when the statement does not have it. Null when no key column is at hand.
    /// </summary>
    public static string? RowKey(StructType schema, IReadOnlyList<string> partitionColumns, string column, Func<StructField, string?> valueOf)
    {
        var key = new List<StructField>();
        foreach (string p in partitionColumns)
        {
            if (schema.Find(p) is { } f)
            {
                key.Add(f);
            }
        }

        foreach (StructField f in schema.Fields)
        {
            if (!key.Contains(f) && !string.Equals(f.Name, column, StringComparison.OrdinalIgnoreCase) && f.Type is PrimitiveType or DecimalType)
            {
                key.Add(f);
                break;
            }
        }

        var parts = new List<string>();
        foreach (StructField f in key)
        {
            if (valueOf(f) is { } value)
            {
                parts.Add(DuckDbConnection.QuoteLiteral((parts.Count == 0 ? string.Empty : ", ") + f.Name + " = ") + $" || coalesce(CAST({value} AS VARCHAR), 'NULL')");
            }
        }

        return parts.Count == 0 ? null : string.Join(" || ", parts);
    }
}
