using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.Internal;
using Medallion.PgWire.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.PgWire;

/// <summary>
/// A PostgreSQL wire protocol (v3) server: BI tools, drivers and psql connect to it as to
/// PostgreSQL, and each authenticated client gets its own read-only SQL session from
/// <see cref="PgWireServerOptions.SessionFactory"/>.
/// </summary>
/// <remarks>
/// Guarantees: a client that breaks the protocol, sends oversized messages or vanishes mid-result
/// loses only its own connection; a failed statement leaves the session usable; a CancelRequest
/// interrupts only the statement of the session it names; statements that would change data are
/// refused with SQLSTATE 25006. Before authentication a client can make the server hold at most 64 KiB of its
/// messages, for at most <see cref="PgWireServerOptions.AuthenticationTimeout"/>, in one of a bounded number of
/// places (<see cref="PgWireServerOptions.MaxStartups"/>, at most <see cref="PgWireServerOptions.MaxStartupsPerAddress"/>
/// of them from one address, the others waiting their turn in a bounded queue); sockets that never log in therefore
/// cannot take the places of sessions, and a flood from one address cannot keep other addresses out. Password checks
/// go through a <see cref="LoginGuard"/>: guesses in parallel wait for each other, and failures slow down their address
/// and account.
/// </remarks>
public sealed partial class PgWireServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, PgConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _nextProcessId = RandomNumberGenerator.GetInt32(1000, 100_000);

    /// <summary>Creates a server; call <see cref="StartAsync"/> to listen.</summary>
    public PgWireServer(PgWireServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.SessionFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options.MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AuthenticationTimeout, TimeSpan.Zero, nameof(options.AuthenticationTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxStartups ?? 1, 1, nameof(options.MaxStartups));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxStartupsPerAddress, 1, nameof(options.MaxStartupsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessionsPerUser ?? 1, 1, nameof(options.MaxSessionsPerUser));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ReservedConnections, nameof(options.ReservedConnections));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.ReservedConnections, options.MaxConnections, nameof(options.ReservedConnections));
        if (options.RequireTls && options.ServerCertificate is null)
        {
            throw new ArgumentException("RequireTls needs a ServerCertificate to offer TLS with.", nameof(options));
        }

        Options = options;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PgWireServer>();
        Logins = options.Logins ?? new LoginGuard(logger: _logger);
        _refusals = new LogLimiter<IPAddress>(TimeProvider.System, TimeSpan.FromMinutes(1));
        _plainConnections = new LogLimiter<IPAddress>(TimeProvider.System, TimeSpan.FromMinutes(1));
    }

    /// <summary>The options the server runs with.</summary>
    public PgWireServerOptions Options { get; }

    /// <summary>The port the server listens on (the chosen one when <see cref="PgWireServerOptions.Port"/> is 0).</summary>
    public int Port => (_listener?.LocalEndPoint as IPEndPoint)?.Port ?? throw new InvalidOperationException("The server is not started. Call StartAsync first.");

    /// <summary>The number of clients connected now, counting those still in startup or authentication.</summary>
    public int ConnectionCount => _connections.Count;

    internal ILogger Logger => _logger;

    /// <summary>The gate of password checks (the one of <see cref="PgWireServerOptions.Logins"/>, or the server's own).</summary>
    internal LoginGuard Logins { get; }

    /// <summary>Binds the address and port and starts accepting clients.</summary>
    /// <exception cref="PgWireException">The address cannot be bound (e.g. the port is in use).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        var listener = new Socket(Options.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(Options.Address, Options.Port));
            listener.Listen(512);
        }
        catch (SocketException error)
        {
            listener.Dispose();
            throw new PgWireException(ErrorCode.PgWireStartFailed, SqlState.SystemError,
                $"Could not listen on {Options.Address}:{Options.Port}: {error.Message}. Help: pick another port, or stop the process using it.", error);
        }

        _listener = listener;
        LogMessages.Listening(_logger, Options.Address, Port);
        if (Options.TrustLoopback)
        {
            LogMessages.TrustingLoopback(_logger);
        }

        if (Options.ServerCertificate is not null && !Options.RequireTls)
        {
            LogMessages.TlsNotRequired(_logger);
        }

        _acceptLoop = AcceptLoopAsync(listener);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting clients, closes every connection and waits for their sessions to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        CloseWaiting();
        foreach (PgConnection connection in _connections.Values)
        {
            connection.Abort();
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        while (!_connections.IsEmpty && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Interrupts the statement of the session a CancelRequest names, if the secret matches.</summary>
    internal void Cancel(int processId, int secretKey)
    {
        if (_connections.TryGetValue(processId, out PgConnection? connection) && connection.SecretKey == secretKey)
        {
            connection.CancelRunningStatement();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var pause = AcceptPause.Initial;
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                // Out of file handles (EMFILE), accept fails again at once: pause instead of spinning, and log
                // once per episode rather than once per attempt.
                if (pause.Failures == 0)
                {
                    LogMessages.AcceptFailing(_logger, error);
                }

                pause = pause.Next();
                try
                {
                    await Task.Delay(pause.Delay, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (pause.Failures > 0)
            {
                LogMessages.AcceptingAgain(_logger, pause.Failures);
                pause = AcceptPause.Initial;
            }

            Admit(client);
        }
    }
}
