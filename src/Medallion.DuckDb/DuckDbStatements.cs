using System;
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
        ulong count = NativeMethods.Prepared.ExtractStatements(connection.Handle, sql, out DuckDbExtractedStatementsHandle statements);
        using (statements)
        {
            if (count == 0)
            {
                string message = NativeMethods.Prepared.ExtractStatementsError(statements) ?? "the command contains no statement";
                throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Parser, message);
            }

            return (int)count;
        }
    }
}
