using System;

namespace Medallion.DuckDb;

/// <summary>An error DuckDB reported, with its message unchanged and the kind of error.</summary>
public sealed class DuckDbException : MedallionException
{
    /// <summary>Creates the exception; the message is DuckDB's own text, or ours for conversion errors.</summary>
    public DuckDbException(ErrorCode code, DuckDbErrorType errorType, string message, Exception? innerException = null)
        : base(code, message, innerException, isTransient: errorType is DuckDbErrorType.Transaction or DuckDbErrorType.Interrupt)
    {
        ErrorType = errorType;
    }

    /// <summary>The kind of error DuckDB reported (syntax, catalog, binder, conversion, interrupt, ...).</summary>
    public DuckDbErrorType ErrorType { get; }
}
