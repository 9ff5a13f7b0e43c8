using System;
using Medallion.DuckDb;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>A failure as the client sees it in an ErrorResponse.</summary>
internal readonly record struct PgError(string SqlState, string Message, string? Hint, bool IsFatal);

/// <summary>Translates exceptions into PostgreSQL errors (SQLSTATE and message) at the protocol edge.</summary>
internal static partial class ErrorMapper
{
    public static PgError Map(Exception error) => error switch
    {
        PgWireException pg => new PgError(pg.SqlState, pg.Message, null, pg.IsFatal),
        DuckDbException { InnerException: TimeoutException } => new PgError(SqlState.QueryCanceled, "canceling statement due to statement timeout", null, false),
        DuckDbException duck => FromDuckDb(duck),
        MedallionException medallion => FromMedallion(medallion),
        OperationCanceledException => new PgError(SqlState.QueryCanceled, "canceling statement due to user request", null, false),
        OutOfMemoryException => new PgError(SqlState.OutOfMemory, "out of memory", null, false),
        _ => new PgError(SqlState.InternalError, error.Message, null, false),
    };

    /// <summary>Whether the failure is a bug in Medallion rather than the statement's or the client's doing.</summary>
    public static bool IsBug(Exception error) => error switch
    {
        MedallionException medallion => medallion.Kind == ErrorKind.Internal,
        OperationCanceledException or OutOfMemoryException => false,
        _ => true,
    };

    /// <summary>Every other coded error: its SQLSTATE is its code's, from the error table.</summary>
    private static PgError FromMedallion(MedallionException error)
    {
        (string message, string? hint) = SplitHelp(error.Message);
        return new PgError(error.SqlState, message, hint, false);
    }

    /// <summary>Our messages end in "Help: ..."; PostgreSQL clients show that part as the HINT.</summary>
    private static (string Message, string? Hint) SplitHelp(string text)
    {
        int help = text.IndexOf(" Help: ", StringComparison.Ordinal);
        return help < 0 ? (text, null) : (text[..help], text[(help + 7)..]);
    }

    private static PgError FromDuckDb(DuckDbException error)
    {
        (string message, string? hint) = Split(HideServerPaths(error.Message));
        string state = error.SqlState;
        if (state == SqlState.QueryCanceled)
        {
            return new PgError(state, "canceling statement due to user request", null, false);
        }

        if (state == SqlState.OutOfMemory)
        {
            // DuckDB's memory limit is one pool for the whole server: the query that asked for memory when none was
            // left fails, and the others go on.
            hint = "The server's memory limit is shared by all running queries, and this one needed more than was free. "
                + "Read fewer rows or columns (a filter, a LIMIT, a gold table), or retry when fewer queries run.";
        }

        return new PgError(state, message, hint, false);
    }

    /// <summary>
    /// A file DuckDB names in an error (a lake file a vacuum removed: <c>No files found that match the pattern "..."</c>) is
    /// named by its file name alone: where the server keeps its lake is not a client's business.
    /// </summary>
    internal static string HideServerPaths(string message) => AbsolutePath().Replace(message, "$1");

    /// <summary>An absolute path of two or more segments; not a URL (<c>https://...</c>), not a division.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.:/])/(?:[^\s""'/]+/)+([^\s""'/]*)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex AbsolutePath();

    /// <summary>Drops DuckDB's "Kind Error: " prefix and moves its "Did you mean" line into the hint.</summary>
    private static (string Message, string? Hint) Split(string text)
    {
        int prefix = text.IndexOf(" Error: ", StringComparison.Ordinal);
        if (prefix > 0 && prefix < 40 && !text[..prefix].Contains('\n', StringComparison.Ordinal))
        {
            text = text[(prefix + 8)..];
        }

        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0)
        {
            return (text, null);
        }

        string rest = text[(newline + 1)..].Trim();
        return (text[..newline].TrimEnd(), rest.Length == 0 ? null : rest);
    }
}
