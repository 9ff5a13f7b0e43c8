using System;
using System.Threading;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// Turns a cancellation token and a command timeout into <c>duckdb_interrupt</c> calls for as long
/// as a command (and its streaming reader) runs, and tells the interrupt it caused apart from others:
/// a cancelled token becomes <see cref="OperationCanceledException"/>, an expired timeout a
/// <see cref="DuckDbException"/> wrapping <see cref="TimeoutException"/>.
/// </summary>
internal sealed class QueryInterruption : IDisposable
{
    private readonly CancellationToken _token;
    private readonly CancellationTokenSource? _timeout;
    private readonly int _timeoutSeconds;
    private CancellationTokenRegistration _tokenRegistration;
    private CancellationTokenRegistration _timeoutRegistration;

    public QueryInterruption(DuckDbConnection connection, int timeoutSeconds, CancellationToken token)
    {
        _token = token;
        _timeoutSeconds = timeoutSeconds;
        if (token.CanBeCanceled)
        {
            _tokenRegistration = token.UnsafeRegister(static state => ((DuckDbConnection)state!).Interrupt(), connection);
        }

        if (timeoutSeconds > 0)
        {
            _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            _timeoutRegistration = _timeout.Token.UnsafeRegister(static state => ((DuckDbConnection)state!).Interrupt(), connection);
        }
    }

    public void ThrowIfCancelled() => _token.ThrowIfCancellationRequested();

    /// <summary>Maps an error DuckDB reported to what the caller should see.</summary>
    public Exception Translate(DuckDbException error)
    {
        if (error.ErrorType != DuckDbErrorType.Interrupt)
        {
            return error;
        }

        if (_token.IsCancellationRequested)
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
        _tokenRegistration.Dispose();
        _timeoutRegistration.Dispose();
        _timeout?.Dispose();
    }
}
