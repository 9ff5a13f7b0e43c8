using System;
using System.Globalization;
using System.Text;
using Medallion.Delta.Schema;
using Medallion.DuckDb;

namespace Medallion.Engine.Writing;

/// <summary>
/// Which values a column of a Delta table takes, and how they are converted: Spark's up-cast rule
/// (<c>UpCastRule.canUpCast</c>), the implicit casts of its ANSI store assignment that lose nothing. Every write path
/// (writes, staged writes of models and sources, MERGE) asks this one place, so a value a table takes in one takes it
/// in all.
/// </summary>
/// <remarks>
/// Taken: the same type; integers and floating point along byte &lt; short &lt; integer &lt; long &lt; float &lt; double;
/// a decimal into a decimal with as many integer and fraction digits, an integer into a decimal with room for its
/// digits, a decimal into float or double; <c>date</c> into <c>timestamp_ntz</c> and <c>timestamp</c>;
/// <c>timestamp_ntz</c> into <c>timestamp</c>, its wall-clock time read as UTC (as Delta and Spark store
/// <c>timestamp</c>: an instant in UTC), never in the writing session's time zone; arrays, maps and structs whose parts
/// are taken (a struct's fields matched by name, missing ones null); a null of any type. Everything else, such as
/// <c>long</c> into <c>integer</c>, <c>double</c> into <c>float</c>, a narrower decimal, text into a number or
/// <c>timestamp</c> into <c>date</c>, is refused: it would lose values or fail on some rows only.
/// </remarks>
internal static class StoreAssignment
{
    private static readonly string[] s_numericPrecedence = ["byte", "short", "integer", "long", "float", "double"];

    /// <summary>Whether a column of <paramref name="to"/> takes values of <paramref name="from"/> (DuckDB type <paramref name="duckType"/>).</summary>
    public static bool Allows(DeltaType from, DeltaType to, string duckType) =>
        duckType is "NULL" or "\"NULL\"" || Allows(from, to);

    private static bool Allows(DeltaType from, DeltaType to)
    {
        switch (from, to)
        {
            case (PrimitiveType a, PrimitiveType b):
                return a.Name == b.Name
                    || (Array.IndexOf(s_numericPrecedence, a.Name) is int fa and >= 0 && Array.IndexOf(s_numericPrecedence, b.Name) > fa)
                    || (a.Name == "date" && b.Name is "timestamp" or "timestamp_ntz")
                    || (a.Name == "timestamp_ntz" && b.Name == "timestamp");
            case (DecimalType, PrimitiveType { Name: "double" or "float" }):
                return true;
            case (DecimalType a, DecimalType b):
                return b.Scale >= a.Scale && b.Precision - b.Scale >= a.Precision - a.Scale;
            case (PrimitiveType a, DecimalType b):
                return IntegerDigits(a.Name) is int digits && b.Precision - b.Scale >= digits;
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
                return false;
        }
    }

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
    /// <see cref="Allows(DeltaType, DeltaType, string)"/> accepted, or null when unknown) into a <paramref name="to"/> value.
    /// </summary>
    public static string Convert(string expression, DeltaType? from, DeltaType to) => Convert(expression, from, to, 0);

    private static string Convert(string expression, DeltaType? from, DeltaType to, int depth)
    {
        string target = DuckDbTypes.ToDuckDb(to);
        if (from is null || !ReadsAsUtc(from, to))
        {
            return $"CAST({expression} AS {target})";
        }

        // A plain CAST to TIMESTAMPTZ would read the wall-clock time in the session's TimeZone (the machine's, unless
        // set), so the instant stored would depend on where the write ran.
        string e = "__e" + depth.ToString(CultureInfo.InvariantCulture);
        switch (from, to)
        {
            case (ArrayType a, ArrayType b):
                return $"CAST(list_transform({expression}, lambda {e}: {Convert(e, a.ElementType, b.ElementType, depth + 1)}) AS {target})";
            case (MapType a, MapType b):
                return $"CAST(map_from_entries(list_transform(map_entries({expression}), lambda {e}: {{'key': {Convert(e + ".key", a.KeyType, b.KeyType, depth + 1)}, 'value': {Convert(e + ".value", a.ValueType, b.ValueType, depth + 1)}}})) AS {target})";
            case (StructType a, StructType b):
                var fields = new StringBuilder();
                foreach (StructField f in b.Fields)
                {
                    StructField? source = a.Find(f.Name);
                    string value = source is null ? $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)})" : Convert($"({expression}).{DuckDbConnection.QuoteIdentifier(source.Name)}", source.Type, f.Type, depth + 1);
                    fields.Append(fields.Length == 0 ? string.Empty : ", ").Append(DuckDbConnection.QuoteIdentifier(f.Name)).Append(" := ").Append(value);
                }

                return $"CASE WHEN ({expression}) IS NULL THEN NULL ELSE struct_pack({fields}) END";
            default:
                return $"timezone('UTC', CAST({expression} AS TIMESTAMP))";
        }
    }

    /// <summary>Whether a value of <paramref name="from"/> holds a wall-clock time (or a date) that becomes an instant in <paramref name="to"/>.</summary>
    private static bool ReadsAsUtc(DeltaType from, DeltaType to) => (from, to) switch
    {
        (PrimitiveType { Name: "timestamp_ntz" or "date" }, PrimitiveType { Name: "timestamp" }) => true,
        (ArrayType a, ArrayType b) => ReadsAsUtc(a.ElementType, b.ElementType),
        (MapType a, MapType b) => ReadsAsUtc(a.KeyType, b.KeyType) || ReadsAsUtc(a.ValueType, b.ValueType),
        (StructType a, StructType b) => HasFieldReadAsUtc(a, b),
        _ => false,
    };

    private static bool HasFieldReadAsUtc(StructType from, StructType to)
    {
        foreach (StructField f in from.Fields)
        {
            if (to.Find(f.Name) is { } target && ReadsAsUtc(f.Type, target.Type))
            {
                return true;
            }
        }

        return false;
    }
}
