using System;

namespace Medallion.DuckDb;

/// <summary>An error DuckDB reported, with its message unchanged and the kind of error.</summary>
public sealed class DuckDbException : MedallionException
{
    /// <summary>Creates the exception; the message is DuckDB's own text, or ours for conversion errors.</summary>
    public DuckDbException(ErrorCode code, DuckDbErrorType errorType, string message, Exception? innerException = null)
        // One code covers every statement DuckDB fails, so its kind of error decides: a transaction conflict or an
        // interrupt may go another way next time, a syntax or binder error never does.
        : base(code, message, innerException, isTransient: errorType is DuckDbErrorType.Transaction or DuckDbErrorType.Interrupt)
    {
        ErrorType = errorType;
    }

    /// <summary>The kind of error DuckDB reported (syntax, catalog, binder, conversion, interrupt, ...).</summary>
    public DuckDbErrorType ErrorType { get; }

    /// <summary>The SQLSTATE PostgreSQL uses for the kind of error DuckDB reported, finer than its code's.</summary>
    public override string SqlState => ErrorType switch
    {
        DuckDbErrorType.Parser or DuckDbErrorType.Syntax => "42601",
        DuckDbErrorType.Catalog => CatalogState(Message),
        DuckDbErrorType.Binder => Message.Contains("column", StringComparison.OrdinalIgnoreCase) ? "42703"
            : Message.Contains("function", StringComparison.OrdinalIgnoreCase) ? "42883"
            : "42000",
        DuckDbErrorType.Conversion => "22P02",
        DuckDbErrorType.OutOfRange or DuckDbErrorType.Decimal => "22003",
        DuckDbErrorType.DivideByZero => "22012",
        DuckDbErrorType.InvalidInput => "22023",
        DuckDbErrorType.MismatchType or DuckDbErrorType.InvalidType => "42804",
        DuckDbErrorType.Interrupt => "57014",
        DuckDbErrorType.Transaction => "40001",
        DuckDbErrorType.Constraint => "23000",
        DuckDbErrorType.OutOfMemory => "53200",
        DuckDbErrorType.Permission => "42501",
        DuckDbErrorType.NotImplemented => "0A000",
        DuckDbErrorType.ParameterNotResolved or DuckDbErrorType.ParameterNotAllowed => "42P02",
        DuckDbErrorType.IO => "58030",
        DuckDbErrorType.Connection => "08000",
        DuckDbErrorType.Internal or DuckDbErrorType.Fatal or DuckDbErrorType.NullPointer => "XX000",
        _ => base.SqlState,
    };

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

    /// <summary>A catalog error names what it did not find: a function (42883), a table or view (42P01), a schema (3F000).</summary>
    private static string CatalogState(string message) =>
        message.Contains("Function", StringComparison.OrdinalIgnoreCase) || message.Contains("Macro", StringComparison.OrdinalIgnoreCase) ? "42883"
        : message.Contains("Table", StringComparison.OrdinalIgnoreCase) || message.Contains("View", StringComparison.OrdinalIgnoreCase) ? "42P01"
        : message.Contains("Schema", StringComparison.OrdinalIgnoreCase) ? "3F000"
        : "42704";
}
