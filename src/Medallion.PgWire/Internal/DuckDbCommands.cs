using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.PgWire.Internal;

/// <summary>Runs a command to its end and disposes it: for the server's own small statements.</summary>
internal static class DuckDbCommands
{
    public static async Task ExecuteAsync(DuckDbCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>All rows as text (null for NULL); the result must be small, it is held in memory.</summary>
    public static async Task<List<string?[]>> QueryAsync(DuckDbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<string?[]>();
        try
        {
            DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    string?[] row = new string?[reader.FieldCount];
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
                    }

                    rows.Add(row);
                }
            }
            finally
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        return rows;
    }
}
