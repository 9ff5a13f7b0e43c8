using System;
using System.Collections.Generic;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>Looks at statements without running them.</summary>
public static class DuckDbStatements
{
    /// <summary>
    /// How many statements DuckDB's parser finds in <paramref name="sql"/>, without binding or preparing any of them
    /// (binding can have effects: binding <c>EXPORT DATABASE</c> creates its directory).
    /// </summary>
    /// <exception cref="DuckDbException">The text does not parse.</exception>
    public static int Count(DuckDbConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using DuckDbExtractedStatementsHandle statements = Extract(connection, sql, out ulong count);
        return (int)count;
    }

    /// <summary>Parses <paramref name="sql"/> into its statements; the caller owns the handle.</summary>
    private static DuckDbExtractedStatementsHandle Extract(DuckDbConnection connection, string sql, out ulong count)
    {
        count = NativeMethods.Prepared.ExtractStatements(connection.Handle, sql, out DuckDbExtractedStatementsHandle statements);
        if (count == 0)
        {
            string message = NativeMethods.Prepared.ExtractStatementsError(statements) ?? "the command contains no statement";
            statements.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Parser, message);
        }

        return statements;
    }
}
