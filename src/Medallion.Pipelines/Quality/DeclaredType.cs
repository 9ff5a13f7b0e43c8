using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

/// <summary>A column type as a user declares it (a <c>schema</c> rule, a contract's <c>data_type</c>), read by DuckDB.</summary>
internal static class DeclaredType
{
    /// <summary>
    /// DuckDB's own name for <paramref name="type"/> (<c>INT</c> → <c>INTEGER</c>, <c>TEXT</c> → <c>VARCHAR</c>), as
    /// <c>DESCRIBE</c> spells a column's type; when it is no DuckDB type, null and DuckDB's reason (null for text that
    /// could not be a type at all).
    /// </summary>
    public static async Task<(string? Type, DuckDbException? Error)> CanonicalAsync(DuckDbConnection connection, string type, CancellationToken cancellationToken)
    {
        // The type is pasted into a CAST: refuse anything that could end the expression or the statement.
        if (type.Contains(';', StringComparison.Ordinal) || type.Contains('\'', StringComparison.Ordinal) ||
            type.Contains("--", StringComparison.Ordinal) || type.Contains("/*", StringComparison.Ordinal))
        {
            return (null, null);
        }

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT typeof(CAST(NULL AS {type}))";
        try
        {
            return ((string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (DuckDbException exception) when (exception.ErrorType != DuckDbErrorType.Interrupt)
        {
            return (null, exception);
        }
    }
}
