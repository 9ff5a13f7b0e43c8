using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// One client connection: startup and authentication, then the message loop of the simple and
/// extended query protocols (https://www.postgresql.org/docs/current/protocol-flow.html).
/// </summary>
/// <remarks>
/// Runs on one logical thread. Only <see cref="CancelRunningStatement"/> and <see cref="Abort"/> are
/// called from other threads. Output is gathered in a <see cref="MessageWriter"/> and flushed at
/// ReadyForQuery, Flush, every 64 KiB of rows, and whenever the connection waits for input.
/// </remarks>
internal sealed partial class PgConnection : IAsyncDisposable
{
    private const int FlushThresholdBytes = 64 * 1024;

    private readonly PgWireServer _server;
    private readonly Socket _socket;
    private readonly MessageWriter _writer = new();
    private readonly CancellationTokenSource _aborted = new();
    private Stream _stream;
    private PipeReader _input;
    private PipeWriter _output;
    private ISqlSession? _session;
    private SessionSettings? _settings;
    private string _database = string.Empty;
    private readonly Lock _statementGate = new();
    private int _disposed;

    // Startup: whether the client has authenticated (before, messages are capped at 64 KiB), and what it asked for.
    private bool _authenticated;
    private PgSessionStartup? _startup;

    // The extended query protocol's prepared statements and portals, and its skipping until Sync after an error.
    private readonly ExtendedQueryState _extended = new();

    // The transaction block (BEGIN ... COMMIT, savepoints) as the client sees it.
    private readonly TransactionBlock _transaction = new();

    // Whether this session's catalog emulation exists; it is made on the first statement that needs it, so plain
    // queries connect fast.
    private bool _catalogInstalled;

    // The environment the client chose when it connected: what RESET medallion.environment goes back to.
    private string? _connectEnvironment;

    // The statement running now, whose token a CancelRequest, statement_timeout and the client's going away cancel.
    private StatementScope? _statement;
    private bool _statementRunning;

    public PgConnection(PgWireServer server, Socket socket, int processId, IPAddress address)
    {
        _server = server;
        _socket = socket;
        ProcessId = processId;
        Address = address;
        RemoteEndPoint = socket.RemoteEndPoint;
        SecretKey = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public int ProcessId { get; }

    public int SecretKey { get; }

    /// <summary>The client's address as places are counted (IPv6 by its /64).</summary>
    public IPAddress Address { get; }

    /// <summary>The client's address and port.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Whether the connection holds one of the server's startup places; changed only under the server's admission lock.</summary>
    public bool HoldsStartupPlace { get; set; }

    /// <summary>The user once the session is counted against the per-user cap; null before.</summary>
    public string? SessionUser { get; set; }

    private PgWireServerOptions Options => _server.Options;

    private ISqlSession Session => _session ?? throw new InvalidOperationException("The session is not open.");

    private SessionSettings Settings => _settings ?? throw new InvalidOperationException("The session is not open.");

    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _aborted.Token);
        CancellationToken cancellationToken = linked.Token;
        try
        {
            if (await StartupAsync(cancellationToken).ConfigureAwait(false))
            {
                await MessageLoopAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PgWireException error) when (error.IsFatal)
        {
            await TrySendFatalAsync(error.SqlState, error.Message).ConfigureAwait(false);
        }
        catch (Exception error) when (IsDisconnect(error, cancellationToken))
        {
            // The client went away (or the server is stopping): nothing to tell anyone.
        }
    }

    /// <summary>Closes the connection from another thread (server shutdown).</summary>
    public void Abort()
    {
        try
        {
            // The running statement's token is linked to this one, so cancelling it interrupts the statement too.
            _aborted.Cancel();
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception error) when (error is ObjectDisposedException or SocketException)
        {
            // Already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _extended.CloseAllPortalsAsync().ConfigureAwait(false);
        if (_session is not null)
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _aborted.Dispose();
    }

    private static bool IsDisconnect(Exception error, CancellationToken cancellationToken) =>
        error is IOException or SocketException or ObjectDisposedException
        || (error is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private async Task TrySendFatalAsync(string sqlState, string message)
    {
        try
        {
            ErrorResponse.Write(_writer, "FATAL", sqlState, message);
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone already.
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_writer.Length == 0)
        {
            return;
        }

        FlushResult result = await _output.WriteAsync(_writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        PgWireMeter.RecordSent(_writer.Length);
        _writer.Reset();
        if (result.IsCompleted)
        {
            throw new IOException("The client closed the connection.");
        }
    }

    /// <summary>Writes bytes outside any message (the one-byte answers to SSLRequest and GSSENCRequest).</summary>
    private async ValueTask WriteRawAsync(byte value, CancellationToken cancellationToken)
    {
        _writer.WriteByte(value);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the next message (startup packets have no type byte). Returns null when the client
    /// closed the connection, also in the middle of a message. Pending output is flushed before
    /// waiting, so a client never waits for answers sitting in our buffer.
    /// </summary>
    private async ValueTask<(byte Type, byte[] Body)?> ReadMessageAsync(bool startup, CancellationToken cancellationToken)
    {
        bool waited = false;
        while (true)
        {
            ReadResult result;
            if (waited || !_input.TryRead(out result))
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            waited = true;
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool complete;
            byte type = 0;
            ReadOnlySequence<byte> body;
            try
            {
                complete = startup
                    ? MessageFramer.TryReadStartupPacket(ref buffer, out body)
                    : MessageFramer.TryReadMessage(ref buffer, MaxMessageBytes, _authenticated, out type, out body);
            }
            catch
            {
                _input.AdvanceTo(result.Buffer.Start);
                throw;
            }

            if (complete)
            {
                byte[] copy = body.ToArray();
                _input.AdvanceTo(buffer.Start);
                return (type, copy);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }

    private async Task MessageLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            (byte Type, byte[] Body)? message = await ReadMessageAsync(startup: false, cancellationToken).ConfigureAwait(false);
            if (message is not { } current)
            {
                return;
            }

            char type = (char)current.Type;
            if (type == 'X')
            {
                return;
            }

            if (_extended.SkippingUntilSync && type != 'S')
            {
                continue;
            }

            switch (type)
            {
                case 'Q':
                    await SimpleQueryAsync(FrontendMessages.Query.Read(current.Body), cancellationToken).ConfigureAwait(false);
                    break;
                case 'S':
                    await SyncAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case 'H':
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case 'P' or 'B' or 'D' or 'E' or 'C':
                    await ExtendedMessageAsync(type, current.Body, cancellationToken).ConfigureAwait(false);
                    break;
                case 'd' or 'c' or 'f':
                    // COPY data outside COPY mode: PostgreSQL ignores it too.
                    break;
                case 'F':
                    ExtendedFailure(new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.FeatureNotSupported, "the function call protocol is not supported"));
                    break;
                default:
                    throw MessageFramer.Violation($"invalid frontend message type {(int)current.Type}");
            }
        }
    }

    private static string Describe(EndPoint? endPoint) => endPoint?.ToString() ?? "unknown";
}
