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

    /// <summary>The PostgreSQL wire protocol server could not start (address in use, bad certificate).</summary>
    PgWireStartFailed = 9001,
    /// <summary>A client broke the PostgreSQL protocol (malformed or oversized message, unknown version).</summary>
    PgWireProtocolViolation = 9002,
    /// <summary>A client could not be authenticated.</summary>
    PgWireAuthenticationFailed = 9003,
    /// <summary>A statement was refused or failed while serving a client; the SQLSTATE says why.</summary>
    PgWireStatementFailed = 9004,
}

/// <summary>Formatting helpers for <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    /// <summary>Formats a code as users see it, e.g. <c>MDL2001</c>.</summary>
    public static string Format(ErrorCode code) => "MDL" + ((int)code).ToString("D4", CultureInfo.InvariantCulture);
}
