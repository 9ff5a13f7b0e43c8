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

    /// <summary>An error met while preparing a statement, whose kind DuckDB gives only as the start of its text ("Parser Error: ...").</summary>
    internal static DuckDbException FromPrepareError(string message) => new(ErrorCode.DuckDbQueryFailed, ErrorTypeOf(message), message);

    /// <summary>The kind of error named at the start of DuckDB's text, or <see cref="DuckDbErrorType.Invalid"/>.</summary>
    internal static DuckDbErrorType ErrorTypeOf(string message)
    {
        int colon = message.IndexOf(" Error:", StringComparison.Ordinal);
        if (colon > 0 && Enum.TryParse(message[..colon].Replace(" ", string.Empty, StringComparison.Ordinal), ignoreCase: true, out DuckDbErrorType type))
        {
            return type;
        }

        return DuckDbErrorType.Invalid;
    }
}
