using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

internal sealed unsafe class DateReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private const int UnixEpochDayNumber = 719162;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateOnly);

    private DateOnly Read(ulong row)
    {
        int days = ((int*)Data)[row];
        long dayNumber = (long)days + UnixEpochDayNumber;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw OutOfRange(GetString(row), typeof(DateOnly));
        }

        return DateOnly.FromDayNumber((int)dayNumber);
    }

    public override DateTime GetDateTime(ulong row) => Read(row).ToDateTime(TimeOnly.MinValue);

    public override object GetValue(ulong row) => Read(row);

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(DateTime))
        {
            return (T)(object)GetDateTime(row);
        }

        return base.GetFieldValue<T>(row);
    }

    public override string GetString(ulong row)
    {
        int days = ((int*)Data)[row];
        if (days == int.MaxValue)
        {
            return "infinity";
        }

        if (days == -int.MaxValue)
        {
            return "-infinity";
        }

        long dayNumber = (long)days + UnixEpochDayNumber;
        return dayNumber >= DateOnly.MinValue.DayNumber && dayNumber <= DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber((int)dayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : TemporalText.Date(days);
    }
}

internal sealed unsafe class TimeReader(LogicalTypeInfo type, string columnName, bool nanoseconds) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(TimeOnly);

    private TimeOnly Read(ulong row)
    {
        long value = ((long*)Data)[row];
        long ticks = nanoseconds ? value / 100 : value * 10;
        // 24:00:00 is a valid DuckDB TIME; TimeOnly stops just short of it.
        return new TimeOnly(Math.Min(ticks, TimeOnly.MaxValue.Ticks));
    }

    public override object GetValue(ulong row) => Read(row);

    public override string GetString(ulong row)
    {
        long value = ((long*)Data)[row];
        long micros = nanoseconds ? value / 1000 : value;
        return TemporalText.Time(micros);
    }
}

/// <summary>TIME WITH TIME ZONE: 40 bits of microseconds, then 24 bits of (max offset - offset seconds).</summary>
internal sealed unsafe class TimeTzReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private const int MaxOffsetSeconds = (16 * 60 * 60) - 1;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateTimeOffset);

    private (long Micros, int OffsetSeconds) Read(ulong row)
    {
        ulong bits = ((ulong*)Data)[row];
        return ((long)(bits >> 24), MaxOffsetSeconds - (int)(bits & 0xFFFFFF));
    }

    public override object GetValue(ulong row)
    {
        (long micros, int offset) = Read(row);
        return new DateTimeOffset(DateTime.MinValue.AddTicks(Math.Min(micros * 10, TimeSpan.TicksPerDay - 1)), TimeSpan.FromSeconds(offset));
    }

    public override string GetString(ulong row)
    {
        (long micros, int offset) = Read(row);
        return TemporalText.Time(micros) + TemporalText.Offset(offset);
    }
}

internal sealed unsafe class TimestampReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private readonly bool _withTimeZone = type.Id == DuckDbType.TimestampTz;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateTime);

    private long Raw(ulong row) => ((long*)Data)[row];

    private bool IsInfinite(long raw) => raw == long.MaxValue || raw == -long.MaxValue;

    /// <summary>Microseconds since the epoch, whatever the stored unit (nanoseconds are truncated).</summary>
    private long Micros(long raw) => Type.Id switch
    {
        DuckDbType.TimestampS => raw * 1_000_000,
        DuckDbType.TimestampMs => raw * 1_000,
        DuckDbType.TimestampNs => raw / 1_000,
        _ => raw,
    };

    private long Ticks(long raw) => Type.Id == DuckDbType.TimestampNs ? raw / 100 : Micros(raw) * 10;

    public override DateTime GetDateTime(ulong row)
    {
        long raw = Raw(row);
        long ticks = IsInfinite(raw) ? long.MinValue : Ticks(raw);
        long maxTicks = DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks;
        long minTicks = -DateTime.UnixEpoch.Ticks;
        if (ticks < minTicks || ticks > maxTicks)
        {
            throw OutOfRange(GetString(row), typeof(DateTime));
        }

        return new DateTime(DateTime.UnixEpoch.Ticks + ticks, _withTimeZone ? DateTimeKind.Utc : DateTimeKind.Unspecified);
    }

    public override object GetValue(ulong row) => GetDateTime(row);

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(DateTimeOffset))
        {
            return (T)(object)new DateTimeOffset(DateTime.SpecifyKind(GetDateTime(row), DateTimeKind.Utc));
        }

        return base.GetFieldValue<T>(row);
    }

    /// <summary>ISO-8601: <c>2026-01-02T03:04:05.123456</c>, with <c>Z</c> for TIMESTAMPTZ (always UTC here).</summary>
    public override string GetString(ulong row)
    {
        long raw = Raw(row);
        if (IsInfinite(raw))
        {
            return raw > 0 ? "infinity" : "-infinity";
        }

        long micros = Micros(raw);
        long days = Math.DivRem(micros, 86_400_000_000L, out long microsOfDay);
        if (microsOfDay < 0)
        {
            microsOfDay += 86_400_000_000L;
            days--;
        }

        string fraction = Type.Id == DuckDbType.TimestampNs
            ? TemporalText.Fraction(((((raw % 1_000_000_000L) + 1_000_000_000L) % 1_000_000_000L)), 9)
            : TemporalText.Fraction(microsOfDay % 1_000_000, 6);
        long dayNumber = days + 719162;
        string date = dayNumber >= DateOnly.MinValue.DayNumber && dayNumber <= DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber((int)dayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : TemporalText.Date(days);
        return date + "T" + TemporalText.Time(microsOfDay - (microsOfDay % 1_000_000)).TrimEnd('.') + fraction + (_withTimeZone ? "Z" : string.Empty);
    }
}

internal static class TemporalText
{
    /// <summary>
    /// The proleptic Gregorian date <paramref name="days"/> after 1970-01-01 as DuckDB prints it: <c>yyyy-MM-dd</c>,
    /// years past 9999 with all their digits, years before 1 as <c>yyyy-MM-dd (BC)</c>; for the dates beyond
    /// <see cref="DateOnly"/>, which PostgreSQL and DuckDB both hold.
    /// </summary>
    public static string Date(long days)
    {
        // Howard Hinnant's civil_from_days, exact over any 64-bit count of days.
        long z = days + 719_468;
        long era = (z >= 0 ? z : z - 146_096) / 146_097;
        long dayOfEra = z - (era * 146_097);
        long yearOfEra = (dayOfEra - (dayOfEra / 1460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
        long dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
        long shiftedMonth = ((5 * dayOfYear) + 2) / 153;
        long day = dayOfYear - (((153 * shiftedMonth) + 2) / 5) + 1;
        long month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        long year = (yearOfEra + (era * 400)) + (month <= 2 ? 1 : 0);
        return year > 0
            ? FormattableString.Invariant($"{year:D4}-{month:D2}-{day:D2}")
            : FormattableString.Invariant($"{1 - year:D4}-{month:D2}-{day:D2} (BC)");
    }

    /// <summary>HH:mm:ss with the fraction only when it is not zero.</summary>
    public static string Time(long micros)
    {
        long seconds = micros / 1_000_000;
        string text = FormattableString.Invariant($"{seconds / 3600:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}");
        return text + Fraction(micros % 1_000_000, 6);
    }

    public static string Fraction(long value, int digits) =>
        value == 0 ? string.Empty : "." + value.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');

    public static string Offset(int seconds)
    {
        char sign = seconds < 0 ? '-' : '+';
        int magnitude = Math.Abs(seconds);
        string text = FormattableString.Invariant($"{sign}{magnitude / 3600:D2}:{magnitude / 60 % 60:D2}");
        return magnitude % 60 == 0 ? text : text + FormattableString.Invariant($":{magnitude % 60:D2}");
    }
}

internal sealed unsafe class IntervalReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DuckDbInterval);

    private DuckDbInterval Read(ulong row)
    {
        DuckDbIntervalStruct value = ((DuckDbIntervalStruct*)Data)[row];
        return new DuckDbInterval(value.Months, value.Days, value.Micros);
    }

    public override object GetValue(ulong row) => Read(row);

    public override string GetString(ulong row) => Read(row).ToString();

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(TimeSpan))
        {
            return (T)(object)Read(row).ToTimeSpan();
        }

        return base.GetFieldValue<T>(row);
    }
}
