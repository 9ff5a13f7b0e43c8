namespace Medallion.PgWire.Protocol;

/// <summary>PostgreSQL's binary date/time values count from 2000-01-01; DuckDB and .NET count from 1970-01-01.</summary>
internal static class PgEpoch
{
    /// <summary>Microseconds from 1970-01-01 to 2000-01-01.</summary>
    public const long Micros = 946_684_800_000_000L;

    /// <summary>Days from 1970-01-01 to 2000-01-01.</summary>
    public const int Days = 10_957;
}
