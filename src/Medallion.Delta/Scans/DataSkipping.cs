using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Medallion.Delta.Internal;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Scans;

/// <summary>
/// Decides whether a file may hold rows matching a <see cref="ScanPredicate"/>: exactly from partition values,
/// conservatively from min/max/null-count statistics. Unknown means "keep". Values are compared after
/// normalising both sides to one representation per type (decimal for integers and decimals, double for
/// floating point, ordinal strings, day numbers for dates, microseconds for timestamps).
/// </summary>
internal sealed class DataSkipping
{
    // Spark truncates string statistics to a prefix (32 characters by default); a max that long may be lower than the true max.
    private const int StringStatsPrefixLength = 32;

    private readonly Snapshot _snapshot;
    private readonly ScanPredicate _predicate;
    private readonly HashSet<string> _partitionColumns;

    public DataSkipping(Snapshot snapshot, ScanPredicate predicate)
    {
        _snapshot = snapshot;
        _predicate = predicate;
        _partitionColumns = new HashSet<string>(snapshot.PartitionColumns, StringComparer.OrdinalIgnoreCase);
        Validate(predicate);
    }

    public bool MayMatch(ScanFile file) => Eval(_predicate, file) != false;

    private void Validate(ScanPredicate p)
    {
        switch (p)
        {
            case ComparisonPredicate c:
                Literal(Field(c.Column), c.Value);
                break;
            case InPredicate i:
                StructField f = Field(i.Column);
                foreach (object v in i.Values)
                {
                    Literal(f, v);
                }

                break;
            case IsNullPredicate n:
                Field(n.Column);
                break;
            case AndPredicate a:
                Validate(a.Left);
                Validate(a.Right);
                break;
            case OrPredicate o:
                Validate(o.Left);
                Validate(o.Right);
                break;
        }
    }

    /// <summary>true: all rows may match; false: no row can match; null: unknown.</summary>
    private bool? Eval(ScanPredicate p, ScanFile file) => p switch
    {
        AndPredicate a => Eval(a.Left, file) is bool l && Eval(a.Right, file) is bool r ? l && r : (Eval(a.Left, file) == false || Eval(a.Right, file) == false ? false : null),
        OrPredicate o => Eval(o.Left, file) == true || Eval(o.Right, file) == true ? true : (Eval(o.Left, file) == false && Eval(o.Right, file) == false ? false : null),
        ComparisonPredicate c => Leaf(c.Column, file, (value, isPartition) => Compare(c, value, isPartition, file)),
        InPredicate i => Leaf(i.Column, file, (value, isPartition) => AnyOf(i, value, isPartition, file)),
        IsNullPredicate n => Leaf(n.Column, file, (value, isPartition) => NullCheck(n, value, isPartition, file)),
        _ => null,
    };

    private bool? Leaf(string column, ScanFile file, Func<StructField, bool, bool?> eval)
    {
        StructField field = Field(column);
        return eval(field, _partitionColumns.Contains(field.Name));
    }

    private bool? Compare(ComparisonPredicate c, StructField field, bool isPartition, ScanFile file)
    {
        if (IsNumberOnStringColumn(field, c.Value))
        {
            // SQL compares a string column with a number as numbers (DuckDB casts the column), so string statistics
            // say nothing; partition values are exact and can be compared as numbers.
            return isPartition ? CompareAsNumbers(c, file.PartitionValues.GetValueOrDefault(field.Name) as string) : null;
        }

        IComparable literal = Literal(field, c.Value);
        if (isPartition)
        {
            object? raw = file.PartitionValues.GetValueOrDefault(field.Name);
            if (raw is null)
            {
                return false;
            }

            int cmp = CompareValues(Normalize(raw, field.Type), literal);
            return Holds(c.Operator, cmp);
        }

        (IComparable? min, IComparable? max) = Bounds(field, file);
        bool? keep = c.Operator switch
        {
            ComparisonOperator.Equal => min is null || max is null ? null : CompareValues(min, literal) <= 0 && CompareValues(max, literal) >= 0,
            ComparisonOperator.NotEqual => min is null || max is null ? null : !(CompareValues(min, literal) == 0 && CompareValues(max, literal) == 0),
            ComparisonOperator.LessThan => min is null ? null : CompareValues(min, literal) < 0,
            ComparisonOperator.LessThanOrEqual => min is null ? null : CompareValues(min, literal) <= 0,
            ComparisonOperator.GreaterThan => max is null ? null : CompareValues(max, literal) > 0,
            _ => max is null ? null : CompareValues(max, literal) >= 0,
        };
        return keep == false ? false : null;
    }

    private bool? AnyOf(InPredicate i, StructField field, bool isPartition, ScanFile file)
    {
        bool? result = false;
        foreach (object v in i.Values)
        {
            bool? one = Compare(new ComparisonPredicate(i.Column, ComparisonOperator.Equal, v), field, isPartition, file);
            if (one == true)
            {
                return true;
            }

            if (one is null)
            {
                result = null;
            }
        }

        return result;
    }

    private bool? NullCheck(IsNullPredicate n, StructField field, bool isPartition, ScanFile file)
    {
        if (isPartition)
        {
            bool isNull = file.PartitionValues.GetValueOrDefault(field.Name) is null;
            return n.Negated ? !isNull : isNull;
        }

        if (file.Stats is not { } stats || !stats.NullCount.TryGet(field.GetPhysicalName(_snapshot.ColumnMappingMode), out JsonElement nc) || nc.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        long nulls = nc.GetInt64();
        if (!n.Negated)
        {
            // Zero nulls means no valid row is null, tight bounds or not.
            return nulls == 0 ? false : null;
        }

        // A null count equal to the physical row count means every valid row is null.
        return stats.NumRecords is long total && nulls == total ? false : null;
    }

    private (IComparable? Min, IComparable? Max) Bounds(StructField field, ScanFile file)
    {
        if (file.Stats is not { } stats)
        {
            return (null, null);
        }

        string physical = field.GetPhysicalName(_snapshot.ColumnMappingMode);
        IComparable? min = stats.MinValues.TryGet(physical, out JsonElement lo) ? FromStats(lo, field.Type, isMax: false) : null;
        IComparable? max = stats.MaxValues.TryGet(physical, out JsonElement hi) ? FromStats(hi, field.Type, isMax: true) : null;
        return (min, max);
    }

    private static IComparable? FromStats(JsonElement e, DeltaType type, bool isMax)
    {
        try
        {
            switch (type)
            {
                case DecimalType:
                    return e.ValueKind == JsonValueKind.Number ? e.GetDecimal() : decimal.Parse(e.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
                case PrimitiveType p:
                    switch (p.Name)
                    {
                        case "long" or "integer" or "short" or "byte":
                            return e.GetDecimal();
                        case "float" or "double":
                            return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.Parse(e.GetString()!, CultureInfo.InvariantCulture);
                        case "string":
                            string s = e.GetString()!;
                            return isMax && s.Length >= StringStatsPrefixLength ? null : s;
                        case "boolean":
                            return e.GetBoolean();
                        case "date":
                            return DateOnly.ParseExact(e.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber;
                        case "timestamp" or "timestamp_ntz":
                            var parsed = DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                            long micros = (parsed.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
                            // Timestamp statistics are truncated to milliseconds, so the true max may be up to 999 µs higher.
                            return isMax ? micros + 999 : micros;
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or OverflowException)
        {
            // Unreadable statistics only cost pruning.
        }

        return null;
    }

    private StructField Field(string column) =>
        _snapshot.Schema.Find(column) ?? throw new MedallionException(ErrorCode.DeltaInvalidPredicate,
            $"The filter refers to column '{column}', which the Delta table at '{_snapshot.TableLocation}' (version {_snapshot.Version}) does not have.\nHelp: the columns are {string.Join(", ", System.Linq.Enumerable.Select(_snapshot.Schema.Fields, f => f.Name))}.");

    private static bool IsNumberOnStringColumn(StructField field, object value) =>
        field.Type is PrimitiveType { Name: "string" } && value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal;

    private static bool? CompareAsNumbers(ComparisonPredicate c, string? raw)
    {
        if (raw is null)
        {
            return false;
        }

        decimal literal;
        try
        {
            literal = Convert.ToDecimal(c.Value, CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            return null;
        }

        if (!decimal.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal value))
        {
            return null;
        }

        return Holds(c.Operator, value.CompareTo(literal));
    }

    /// <summary>Whether a comparison holds given the sign of (value compared with literal).</summary>
    private static bool Holds(ComparisonOperator op, int cmp) => op switch
    {
        ComparisonOperator.Equal => cmp == 0,
        ComparisonOperator.NotEqual => cmp != 0,
        ComparisonOperator.LessThan => cmp < 0,
        ComparisonOperator.LessThanOrEqual => cmp <= 0,
        ComparisonOperator.GreaterThan => cmp > 0,
        _ => cmp >= 0,
    };

    private IComparable Literal(StructField field, object value)
    {
        if (IsNumberOnStringColumn(field, value))
        {
            return Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }

        try
        {
            object typed = value is string s && field.Type is not PrimitiveType { Name: "string" } ? PartitionValues.Parse(s, field.Type)! : value;
            return Normalize(typed, field.Type);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or NullReferenceException)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidPredicate,
                $"The filter compares column '{field.Name}' ({field.Type}) of the Delta table at '{_snapshot.TableLocation}' with '{value}', which is not a {field.Type} value.", e);
        }
    }

    private static IComparable Normalize(object value, DeltaType type)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        return type switch
        {
            DecimalType => Convert.ToDecimal(value, inv),
            PrimitiveType { Name: "long" or "integer" or "short" or "byte" } => Convert.ToDecimal(value, inv),
            PrimitiveType { Name: "float" or "double" } => Convert.ToDouble(value, inv),
            PrimitiveType { Name: "string" } => (string)value,
            PrimitiveType { Name: "boolean" } => (bool)value,
            PrimitiveType { Name: "date" } => value is DateOnly d ? d.DayNumber : DateOnly.FromDateTime(Convert.ToDateTime(value, inv)).DayNumber,
            PrimitiveType { Name: "timestamp" or "timestamp_ntz" } => value switch
            {
                DateTimeOffset o => (o.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10,
                DateTime t => (t.Ticks - DateTime.UnixEpoch.Ticks) / 10,
                _ => throw new InvalidCastException(),
            },
            _ => throw new InvalidCastException($"{type} columns cannot be filtered"),
        };
    }

    private static int CompareValues(IComparable a, IComparable b) =>
        a is string sa && b is string sb ? string.CompareOrdinal(sa, sb) : a.CompareTo(b);
}
