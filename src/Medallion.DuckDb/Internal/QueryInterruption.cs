using System;
using System.Threading;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// Turns a cancellation token, <see cref="DuckDbCommand.Cancel"/> and a command timeout into <c>duckdb_interrupt</c>
/// calls for as long as a command (and its streaming reader) runs, and tells the interrupt it caused apart from others:
/// a cancelled token or command becomes <see cref="OperationCanceledException"/>, an expired timeout a
/// <see cref="DuckDbException"/> wrapping <see cref="TimeoutException"/>.
/// </summary>
/// <remarks>
/// DuckDB forgets an interrupt that arrives before a statement starts (it clears the flag when a query
/// begins), so once cancelled the interrupt is repeated every <see cref="RepeatMs"/> until the command
/// ends; after <see cref="Dispose"/> returns no further interrupt is sent, so the next command on the
/// connection is never hit by a stale one.
/// </remarks>
internal sealed class QueryInterruption : IDisposable
{
    private const int RepeatMs = 100;

    private readonly DuckDbConnection _connection;
    private readonly CancellationToken _token;
    private readonly CancellationTokenSource? _timeout;
    private readonly int _timeoutSeconds;
    private readonly Lock _gate = new();
    private CancellationTokenRegistration _tokenRegistration;
    private CancellationTokenRegistration _timeoutRegistration;
    private Timer? _repeat;
    private bool _disposed;
    private volatile bool _cancelled;

    public QueryInterruption(DuckDbConnection connection, int timeoutSeconds, CancellationToken token)
    {
        _connection = connection;
        _token = token;
        _timeoutSeconds = timeoutSeconds;
        if (token.CanBeCanceled)
        {
            _tokenRegistration = token.UnsafeRegister(static state => ((QueryInterruption)state!).Interrupt(), this);
        }

        if (timeoutSeconds > 0)
        {
            _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            _timeoutRegistration = _timeout.Token.UnsafeRegister(static state => ((QueryInterruption)state!).Interrupt(), this);
        }
    }

    /// <summary>Whether the token or <see cref="Cancel"/> asked the command to stop.</summary>
    private bool IsCancelled => _cancelled || _token.IsCancellationRequested;

    /// <summary>Stops the command before its next statement or chunk when it was cancelled, even if DuckDB missed the interrupt.</summary>
    public void ThrowIfCancelled()
    {
        _token.ThrowIfCancellationRequested();
        if (_cancelled)
        {
            throw new OperationCanceledException("The query was cancelled.");
        }
    }

    /// <summary>
    /// <see cref="DuckDbCommand.Cancel"/>: stops the command as a cancelled token would, from any thread; does nothing
    /// once the command has ended, so a late cancel never reaches the connection's next command.
    /// </summary>
    public void Cancel()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _cancelled = true;
        }

        Interrupt();
    }

    /// <summary>Maps an error DuckDB reported to what the caller should see.</summary>
    public Exception Translate(DuckDbException error)
    {
        if (error.ErrorType != DuckDbErrorType.Interrupt)
        {
            return error;
        }

        if (IsCancelled)
        {
            return new OperationCanceledException("The query was cancelled.", error, _token);
        }

        if (_timeout?.IsCancellationRequested == true)
        {
            return new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Interrupt,
                $"The query ran longer than the command timeout of {_timeoutSeconds} s and was stopped. Help: raise CommandTimeout, or 0 for no limit.",
                new TimeoutException(error.Message, error));
        }

        return error;
    }

    public void Dispose()
    {
        // Registrations first: disposing one waits for its callback, which takes the gate.
        _tokenRegistration.Dispose();
        _timeoutRegistration.Dispose();
        lock (_gate)
        {
            _disposed = true;
            _repeat?.Dispose();
        }

        _timeout?.Dispose();
    }

    private void Interrupt()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _connection.Interrupt();
            _repeat ??= new Timer(static state => ((QueryInterruption)state!).Repeat(), this, RepeatMs, RepeatMs);
        }
    }

    private void Repeat()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _connection.Interrupt();
            }
        }
    }
}
