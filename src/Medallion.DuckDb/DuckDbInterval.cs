using System;
using System.Globalization;
using System.Text;

namespace Medallion.DuckDb;

/// <summary>
/// A DuckDB INTERVAL: months, days and microseconds kept apart, because a month has no fixed
/// length (which is why <see cref="TimeSpan"/> cannot represent every interval).
/// </summary>
/// <param name="Months">Whole months (years are 12 months).</param>
/// <param name="Days">Whole days.</param>
/// <param name="Micros">Microseconds.</param>
public readonly record struct DuckDbInterval(int Months, int Days, long Micros)
{
    /// <summary>Converts to a <see cref="TimeSpan"/>, counting a month as 30 days (as PostgreSQL's justify does).</summary>
    public TimeSpan ToTimeSpan() => TimeSpan.FromDays((Months * 30L) + Days) + TimeSpan.FromTicks(Micros * 10);

    /// <summary>PostgreSQL-style text: <c>1 year 2 mons 3 days 04:05:06.789</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        int years = Months / 12;
        int months = Months % 12;
        Append(builder, years, "year");
        Append(builder, months, "mon");
        Append(builder, Days, "day");
        if (Micros != 0 || builder.Length == 0)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            long micros = Math.Abs(Micros);
            if (Micros < 0)
            {
                builder.Append('-');
            }

            long seconds = micros / 1_000_000;
            builder.Append(CultureInfo.InvariantCulture, $"{seconds / 3600:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}");
            if (micros % 1_000_000 != 0)
            {
                builder.Append('.').Append((micros % 1_000_000).ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0'));
            }
        }

        return builder.ToString();
    }

    private static void Append(StringBuilder builder, int value, string unit)
    {
        if (value == 0)
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append(' ');
        }

        builder.Append(value.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(unit);
        if (value != 1 && value != -1)
        {
            builder.Append('s');
        }
    }
}
