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

    /// <summary>What the statement reads, once bound (for the audit).</summary>
    public Engine.Sessions.StatementReads Reads { get; set; } = Engine.Sessions.StatementReads.None;

    /// <summary>When the statement started (<see cref="System.Diagnostics.Stopwatch"/> ticks and wall clock); set by its first Describe or Execute.</summary>
    public (long Timestamp, DateTimeOffset At)? Started { get; set; }

    /// <summary>Rows sent so far over every Execute of a suspended portal.</summary>
    public long RowsSent { get; set; }

    /// <summary>Whether the statement's end was reported to the audit.</summary>
    public bool Audited { get; set; }

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
