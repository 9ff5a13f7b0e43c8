using System;
using System.Globalization;

namespace Medallion.Engine.Sessions;

/// <summary>
/// How much SQL a read-only session takes at once: every face that hands a client's text to a session (the SQL endpoint's
/// Query message, the web SQL page, the shell) holds it to these limits before anything is parsed or run.
/// </summary>
public static class SqlTextLimits
{
    /// <summary>The longest SQL text accepted, in characters.</summary>
    public const int MaxSqlChars = 1024 * 1024;

    /// <summary>The most statements one query string may hold.</summary>
    public const int MaxStatements = 1000;

    /// <summary>Refuses a text longer than <see cref="MaxSqlChars"/>, before it costs a parse.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EngineStatementTooLarge"/>.</exception>
    public static void ThrowIfTooLong(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (sql.Length > MaxSqlChars)
        {
            throw new MedallionException(ErrorCode.EngineStatementTooLarge,
                $"The SQL text is {sql.Length.ToString("N0", CultureInfo.InvariantCulture)} characters long; a query may be at most {MaxSqlChars.ToString("N0", CultureInfo.InvariantCulture)}. Help: split it, or keep large lists in a table.");
        }
    }

    /// <summary>Refuses a query string of more than <see cref="MaxStatements"/> statements, before any of them runs.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EngineStatementTooLarge"/>.</exception>
    public static void ThrowIfTooMany(int statements)
    {
        if (statements > MaxStatements)
        {
            throw new MedallionException(ErrorCode.EngineStatementTooLarge,
                $"The query string holds {statements.ToString("N0", CultureInfo.InvariantCulture)} statements; at most {MaxStatements.ToString("N0", CultureInfo.InvariantCulture)} are run at once. Help: send them in smaller batches.");
        }
    }
}
