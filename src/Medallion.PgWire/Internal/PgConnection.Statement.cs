using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using Medallion.DuckDb;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// The life of one statement (a simple-query statement, or one Describe or Execute message): every phase of it, from
/// binding the SQL to the last row, runs under one token that a CancelRequest, <c>statement_timeout</c> and the
/// client's going away all cancel.
/// </summary>
internal sealed partial class PgConnection
{
    /// <summary>How often a running statement checks that its client is still connected.</summary>
    private static readonly TimeSpan s_clientCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Interrupts the running statement, if any (a CancelRequest from another connection).</summary>
    public void CancelRunningStatement()
    {
        lock (_statementGate)
        {
            if (_statementRunning)
            {
                _statement?.Cancel();
            }
        }
    }

    /// <summary>Starts the scope of a statement; dispose it when the statement's message is handled.</summary>
    private StatementScope BeginStatement(CancellationToken connectionToken)
    {
        // The session's statement_timeout can only shorten the server's.
        int timeoutMs = Settings.StatementTimeoutMs;
        if (Options.StatementTimeout is { } limit && (timeoutMs <= 0 || timeoutMs > limit.TotalMilliseconds))
        {
            timeoutMs = (int)Math.Min(int.MaxValue, limit.TotalMilliseconds);
        }

        var scope = new StatementScope(this, timeoutMs, connectionToken);
        lock (_statementGate)
        {
            _statement = scope;
        }

        return scope;
    }

    /// <summary>Runs DuckDB under the current statement's token, marking the session busy so a CancelRequest interrupts only this statement.</summary>
    private async System.Threading.Tasks.Task<T> RunAsync<T>(Func<CancellationToken, System.Threading.Tasks.Task<T>> action)
    {
        StatementScope statement;
        lock (_statementGate)
        {
            statement = _statement ?? throw new InvalidOperationException("DuckDB runs only inside a statement.");
            _statementRunning = true;
        }

        try
        {
            // A statement cancelled between two of its phases stops before the next one: DuckDB would not notice an
            // interrupt that arrives before a short query starts.
            statement.ThrowIfCancellationRequested();
            return await action(statement.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_statementGate)
            {
                _statementRunning = false;
            }
        }
    }

    /// <summary>
    /// Whether the client closed its end: the socket reads as ready with nothing to read. Pipelined input (the client's
    /// next messages) reads as data, so a connected client is never taken for gone.
    /// </summary>
    private bool ClientHasGone()
    {
        try
        {
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private sealed class StatementScope : IDisposable
    {
        private readonly PgConnection _connection;
        private readonly CancellationTokenSource? _timeout;
        private readonly TimeSpan _timeoutAfter;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly CancellationTokenSource _cancel;
        private readonly Timer _clientCheck;

        public StatementScope(PgConnection connection, int timeoutMs, CancellationToken connectionToken)
        {
            _connection = connection;
            if (timeoutMs > 0)
            {
                _timeoutAfter = TimeSpan.FromMilliseconds(timeoutMs);
                _timeout = new CancellationTokenSource(_timeoutAfter);
                _cancel = CancellationTokenSource.CreateLinkedTokenSource(connectionToken, _timeout.Token);
            }
            else
            {
                _cancel = CancellationTokenSource.CreateLinkedTokenSource(connectionToken);
            }

            // A statement runs without reading the socket, so a client that went away is noticed here: the whole
            // connection is aborted, which cancels the statement with it (PostgreSQL's client_connection_check_interval).
            _clientCheck = new Timer(static state => ((StatementScope)state!).CheckClient(), this, s_clientCheckInterval, s_clientCheckInterval);
        }

        public CancellationToken Token => _cancel.Token;

        /// <summary>
        /// Throws when the statement was cancelled or has run past its timeout. The clock is read here as well as by the
        /// timeout's timer, whose callback waits for a pool thread: on a busy server a phase longer than the timeout
        /// could otherwise end before the timer is seen, and the statement run on past its limit.
        /// </summary>
        public void ThrowIfCancellationRequested()
        {
            if (_timeout is not null && Stopwatch.GetElapsedTime(_started) >= _timeoutAfter)
            {
                _timeout.Cancel();
            }

            _cancel.Token.ThrowIfCancellationRequested();
        }

        public void Cancel()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The statement ended meanwhile.
            }
        }

        /// <summary>An interruption caused by <c>statement_timeout</c> reads as PostgreSQL's timeout error; anything else is left alone.</summary>
        public Exception Translate(Exception error) =>
            _timeout?.IsCancellationRequested == true && error is OperationCanceledException or DuckDbException { ErrorType: DuckDbErrorType.Interrupt }
                ? new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.QueryCanceled, "canceling statement due to statement timeout", error)
                : error;

        public void Dispose()
        {
            lock (_connection._statementGate)
            {
                if (ReferenceEquals(_connection._statement, this))
                {
                    _connection._statement = null;
                }
            }

            _clientCheck.Dispose();
            _cancel.Dispose();
            _timeout?.Dispose();
        }

        private void CheckClient()
        {
            if (_connection.ClientHasGone())
            {
                _connection.Abort();
            }
        }
    }
}
