using System.Globalization;

namespace Medallion;

/// <summary>
/// Stable error codes, one numeric range per subsystem (in the style of dbt's error codes).
/// A code never changes meaning once shipped; new errors take new numbers.
/// </summary>
/// <remarks>
/// Ranges: 1000 build and set-up, 2000 DuckDB engine, 3000 Delta read, 4000 Delta write and
/// transactions, 5000 storage, 6000 projects, models and pipelines, 7000 quality, 8000 ingestion,
/// 9000 PgWire and serving.
/// </remarks>
public enum ErrorCode
{
    /// <summary>An error with no more specific code.</summary>
    Unknown = 0,

    /// <summary>The native DuckDB library could not be found or loaded.</summary>
    NativeLibraryMissing = 1001,

    /// <summary>DuckDB reported an error while running a statement.</summary>
    DuckDbQueryFailed = 2001,
    /// <summary>DuckDB could not open a database or connection.</summary>
    DuckDbOpenFailed = 2002,
    /// <summary>A value cannot be represented in the requested .NET type.</summary>
    DuckDbValueOutOfRange = 2003,
    /// <summary>An appender could not append or flush rows.</summary>
    DuckDbAppendFailed = 2004,
    /// <summary>A statement could not be prepared or bound.</summary>
    DuckDbPrepareFailed = 2005,

    /// <summary>A source server could not be reached (down, refused, timed out), after the configured retries.</summary>
    SourceUnavailable = 8001,
    /// <summary>A source server rejected the login (wrong user or password, or no access to the database).</summary>
    SourceAuthenticationFailed = 8002,
    /// <summary>The table to ingest does not exist in the source (or the login cannot see it).</summary>
    SourceTableNotFound = 8003,
    /// <summary>A column named in the source settings (cursor or key) does not exist in the table.</summary>
    SourceColumnNotFound = 8004,
    /// <summary>A source column has a type that has no faithful DuckDB mapping.</summary>
    SourceTypeNotSupported = 8005,
    /// <summary>Reading or converting rows from the source failed.</summary>
    SourceReadFailed = 8006,
    /// <summary>A stored source position cannot be used with this source (other mode or cursor columns, or damaged).</summary>
    SourcePositionInvalid = 8007,
}

/// <summary>Formatting helpers for <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    /// <summary>Formats a code as users see it, e.g. <c>MDL2001</c>.</summary>
    public static string Format(ErrorCode code) => "MDL" + ((int)code).ToString("D4", CultureInfo.InvariantCulture);
}
