using System;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.PgWire.Internal;

/// <summary>
/// A portal made by Bind: a prepared statement with its parameter values and result formats. Its
/// DuckDB reader is opened on Describe or on the first Execute and kept open while Execute row
/// limits leave it suspended.
/// </summary>
internal sealed class Portal(PreparedStatement statement, object?[] parameters, short[] resultFormats) : IAsyncDisposable
{
    public PreparedStatement Statement { get; } = statement;

    public object?[] Parameters { get; } = parameters;

    public short[] ResultFormats { get; } = resultFormats;

    public DuckDbCommand? Command { get; set; }

    public DuckDbDataReader? Reader { get; set; }

    /// <summary>The result of a statement the server answers itself (SET, SHOW, BEGIN, ...), once run.</summary>
    public CommandResult? Result { get; set; }

    public ResultColumn[]? Columns { get; set; }

    /// <summary>True once CommandComplete has been sent; a later Execute sends it again with no rows.</summary>
    public bool Completed { get; set; }

    public string? CompletedTag { get; set; }

    public async ValueTask CloseReaderAsync()
    {
        if (Reader is not null)
        {
            await Reader.DisposeAsync().ConfigureAwait(false);
            Reader = null;
        }

        if (Command is not null)
        {
            await Command.DisposeAsync().ConfigureAwait(false);
            Command = null;
        }
    }

    public ValueTask DisposeAsync() => CloseReaderAsync();
}
