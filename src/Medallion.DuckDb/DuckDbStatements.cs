using System;
using System.Collections.Generic;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>Looks at statements without running them.</summary>
public static class DuckDbStatements
{
    /// <summary>
    /// Prepares each statement of <paramref name="sql"/> in turn and hands its kind to
    /// <paramref name="inspect"/>, which may throw to stop before later statements are prepared
    /// (a later statement may depend on what an earlier one would have created).
    /// </summary>
    /// <exception cref="DuckDbException">A statement does not parse or bind.</exception>
    public static void Inspect(DuckDbConnection connection, string sql, Action<int, DuckDbStatementType> inspect)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(inspect);
        ulong count = NativeMethods.Prepared.ExtractStatements(connection.Handle, sql, out DuckDbExtractedStatementsHandle statements);
        using (statements)
        {
            if (count == 0)
            {
                string message = NativeMethods.Prepared.ExtractStatementsError(statements) ?? "the command contains no statement";
                throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Parser, message);
            }

            for (ulong i = 0; i < count; i++)
            {
                DuckDbState state = NativeMethods.Prepared.PrepareExtractedStatement(connection.Handle, statements, i, out DuckDbPreparedStatementHandle statement);
                using (statement)
                {
                    if (state != DuckDbState.Success)
                    {
                        string message = NativeMethods.Prepared.PrepareError(statement) ?? "the statement could not be prepared";
                        throw DuckDbException.FromPrepareError(message);
                    }

                    inspect((int)i, NativeMethods.Prepared.StatementType(statement));
                }
            }
        }
    }
}
