using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.Internal;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire;

/// <summary>
/// Admission: which accepted sockets are served now, which wait their turn to log in, and which are refused; and the
/// caps on sessions (per user, and the places kept for admins).
/// </summary>
/// <remarks>
/// Places, all under one lock. <see cref="PgWireServerOptions.MaxConnections"/> bounds the connections served (logging
/// in or authenticated), plus <see cref="RefusalSlots"/> answered with 53300 after their startup packet. Of those, at
/// most <see cref="MaxStartups"/> are logging in, <see cref="PgWireServerOptions.MaxStartupsPerAddress"/> from one
/// address. A socket that finds no startup place waits, not served (it costs a file handle and no memory), in a queue of
/// at most <see cref="MaxWaiting"/> (<see cref="MaxWaitingPerAddress"/> from one address), for at most the
/// authentication timeout; beyond that it is answered with 53300 at once and closed, and its address is logged (once a
/// minute, with the count).
/// </remarks>
public sealed partial class PgWireServer
{
    /// <summary>PostgreSQL's words when max_connections is reached; clients and people know them.</summary>
    internal const string TooManyClients = "sorry, too many clients already";

    private readonly Lock _admission = new();
    private readonly Dictionary<IPAddress, AddressPlaces> _addresses = [];
    private readonly LinkedList<WaitingClient> _waiting = new();
    private readonly Dictionary<string, int> _sessionsByUser = new(StringComparer.Ordinal);
    private readonly LogLimiter<IPAddress> _refusals;
    private readonly LogLimiter<IPAddress> _plainConnections;
    private int _startups;
    private int _sessions;

    /// <summary>The connections served now that are still logging in.</summary>
    internal int StartupCount
    {
        get
        {
            lock (_admission)
            {
                return _startups;
            }
        }
    }

    /// <summary>The accepted sockets waiting for their turn to log in.</summary>
    internal int WaitingCount
    {
        get
        {
            lock (_admission)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>The most connections logging in at once.</summary>
    internal int MaxStartups => Math.Min(Options.MaxStartups ?? Math.Max(1, Options.MaxConnections / 4), Options.MaxConnections);

    /// <summary>The most sockets waiting for their turn to log in.</summary>
    internal int MaxWaiting => Options.MaxConnections;

    /// <summary>The most sockets of one address waiting for their turn to log in.</summary>
    internal int MaxWaitingPerAddress => Math.Max(1, Options.MaxConnections / 2);

    /// <summary>
    /// Connections over <see cref="PgWireServerOptions.MaxConnections"/> that may still be answered with 53300 after
    /// their startup packet; beyond these, a connection is answered at once and closed, so a flood of idle sockets
    /// cannot hold more than a bounded number of them.
    /// </summary>
    internal int RefusalSlots => Math.Max(8, Options.MaxConnections / 10);

    private void Admit(Socket client)
    {
        IPAddress address = LoginGuard.KeyOf((client.RemoteEndPoint as IPEndPoint)?.Address);
        string? refusal = null;
        string message = TooManyClients;
        bool overCapacity = false;
        lock (_admission)
        {
            int open = _connections.Count;
            if (open >= Options.MaxConnections + RefusalSlots)
            {
                refusal = $"{Options.MaxConnections} clients are connected already (max connections)";
            }
            else if (open >= Options.MaxConnections)
            {
                overCapacity = true;
            }
            else if (MayStart(address))
            {
                TakeStartup(address);
            }
            else if (_waiting.Count < MaxWaiting && PlacesOf(address).Waiting < MaxWaitingPerAddress)
            {
                Wait(client, address);
                return;
            }
            else
            {
                refusal = $"{Options.MaxStartupsPerAddress} connections from {address} are logging in and {MaxWaitingPerAddress} more wait their turn (max startups per address)";
                message = $"too many connections from {address} are logging in at once; try again in a few seconds";
            }
        }

        if (refusal is not null)
        {
            RefuseAtOnce(client, address, refusal, message);
            return;
        }

        if (overCapacity)
        {
            LogRefusal(address, $"{Options.MaxConnections} clients are connected already (max connections)");
        }

        Serve(client, address, overCapacity);
    }

    private void Serve(Socket client, IPAddress address, bool overCapacity)
    {
        client.NoDelay = true;
        int processId = Interlocked.Increment(ref _nextProcessId);
        var connection = new PgConnection(this, client, processId, address) { OverCapacity = overCapacity, HoldsStartupPlace = !overCapacity };
        _connections[processId] = connection;
        _ = RunConnectionAsync(connection);
    }

    /// <summary>
    /// Counts an authenticated user's session against the caps: its startup place goes back (and the next waiting
    /// socket may start); returns why the session is refused, or null when it may go on.
    /// </summary>
    internal async ValueTask<string?> AdmitSessionAsync(PgConnection connection, string user, CancellationToken cancellationToken)
    {
        ReleaseStartup(connection);
        bool reserved;
        lock (_admission)
        {
            if (Options.MaxSessionsPerUser is { } cap && _sessionsByUser.GetValueOrDefault(user) >= cap)
            {
                return $"too many connections for user \"{user}\": at most {cap} sessions per user";
            }

            reserved = Options.ReservedConnections > 0 && _sessions >= Options.MaxConnections - Options.ReservedConnections;
        }

        if (reserved && !(Options.UserStore is { } users && await users.IsAdminAsync(user, cancellationToken).ConfigureAwait(false)))
        {
            return $"remaining connection slots are reserved for admins ({Options.ReservedConnections} of {Options.MaxConnections})";
        }

        lock (_admission)
        {
            _sessions++;
            _sessionsByUser[user] = _sessionsByUser.GetValueOrDefault(user) + 1;
        }

        connection.SessionUser = user;
        return null;
    }

    /// <summary>Logs a connection that did not switch to TLS though the server offers it (once a minute per address).</summary>
    internal void NotePlainConnection(PgConnection connection, string user)
    {
        if (_plainConnections.ShouldLog(connection.Address, out int unlogged))
        {
            LogMessages.PlainConnection(_logger, connection.RemoteEndPoint, user, unlogged);
        }
    }

    /// <summary>Logs a refused connection, naming its address (once a minute per address, with the count).</summary>
    internal void LogRefusal(IPAddress address, string reason)
    {
        if (_refusals.ShouldLog(address, out int unlogged))
        {
            LogMessages.ConnectionRefused(_logger, address, reason, unlogged);
        }
    }

    private async Task RunConnectionAsync(PgConnection connection)
    {
        PgWireMeter.ConnectionOpened();
        try
        {
            await Task.Yield();
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // The edge of a connection: log once, and keep serving everyone else.
            LogMessages.ConnectionFailed(_logger, error, connection.ProcessId);
        }
        finally
        {
            _connections.TryRemove(connection.ProcessId, out _);
            ReleaseStartup(connection);
            if (connection.SessionUser is { } user)
            {
                lock (_admission)
                {
                    _sessions--;
                    int left = _sessionsByUser.GetValueOrDefault(user) - 1;
                    if (left <= 0)
                    {
                        _sessionsByUser.Remove(user);
                    }
                    else
                    {
                        _sessionsByUser[user] = left;
                    }
                }
            }

            PgWireMeter.ConnectionClosed();
            await connection.DisposeAsync().ConfigureAwait(false);
            // A place among max connections came free too.
            StartWaiting();
        }
    }

    /// <summary>Gives back a connection's startup place, once, and starts the waiting sockets that now fit.</summary>
    private void ReleaseStartup(PgConnection connection)
    {
        lock (_admission)
        {
            if (!connection.HoldsStartupPlace)
            {
                return;
            }

            connection.HoldsStartupPlace = false;
            _startups--;
            AddressPlaces places = PlacesOf(connection.Address);
            places.Startups--;
            Forget(connection.Address, places);
        }

        StartWaiting();
    }

    private void StartWaiting()
    {
        var ready = new List<WaitingClient>();
        lock (_admission)
        {
            int open = _connections.Count;
            for (LinkedListNode<WaitingClient>? node = _waiting.First; node is not null && open + ready.Count < Options.MaxConnections;)
            {
                LinkedListNode<WaitingClient>? next = node.Next;
                WaitingClient waiting = node.Value;
                if (MayStart(waiting.Address))
                {
                    Unwait(waiting);
                    TakeStartup(waiting.Address);
                    ready.Add(waiting);
                }

                node = next;
            }
        }

        foreach (WaitingClient waiting in ready)
        {
            waiting.Expiry.Dispose();
            Serve(waiting.Socket, waiting.Address, overCapacity: false);
        }
    }

    private void Wait(Socket client, IPAddress address)
    {
        var waiting = new WaitingClient(client, address);
        waiting.Node = _waiting.AddLast(waiting);
        PlacesOf(address).Waiting++;
        // Its time to log in runs while it waits too: a socket that never gets its turn is closed without a word.
        waiting.Expiry = new Timer(_ => Expire(waiting), null, Options.AuthenticationTimeout, Timeout.InfiniteTimeSpan);
    }

    private void Expire(WaitingClient waiting)
    {
        lock (_admission)
        {
            if (waiting.Node is null)
            {
                return;
            }

            Unwait(waiting);
        }

        waiting.Expiry.Dispose();
        waiting.Socket.Dispose();
    }

    private void CloseWaiting()
    {
        List<WaitingClient> all;
        lock (_admission)
        {
            all = [.. _waiting];
            foreach (WaitingClient waiting in all)
            {
                Unwait(waiting);
            }
        }

        foreach (WaitingClient waiting in all)
        {
            waiting.Expiry.Dispose();
            waiting.Socket.Dispose();
        }
    }

    private void Unwait(WaitingClient waiting)
    {
        _waiting.Remove(waiting.Node!);
        waiting.Node = null;
        AddressPlaces places = PlacesOf(waiting.Address);
        places.Waiting--;
        Forget(waiting.Address, places);
    }

    private bool MayStart(IPAddress address) =>
        _startups < MaxStartups && (!_addresses.TryGetValue(address, out AddressPlaces? places) || places.Startups < Options.MaxStartupsPerAddress);

    private void TakeStartup(IPAddress address)
    {
        _startups++;
        PlacesOf(address).Startups++;
    }

    private AddressPlaces PlacesOf(IPAddress address)
    {
        if (!_addresses.TryGetValue(address, out AddressPlaces? places))
        {
            places = new AddressPlaces();
            _addresses[address] = places;
        }

        return places;
    }

    private void Forget(IPAddress address, AddressPlaces places)
    {
        if (places.Startups == 0 && places.Waiting == 0)
        {
            _addresses.Remove(address);
        }
    }

    /// <summary>
    /// Sends the 53300 error without waiting for the startup packet and closes (PostgreSQL's postmaster does so when it
    /// cannot start a backend; libpq reads the error even in answer to an SSLRequest). Best effort: a send that would
    /// block is not attempted.
    /// </summary>
    private void RefuseAtOnce(Socket client, IPAddress address, string reason, string message)
    {
        LogRefusal(address, reason);
        try
        {
            var writer = new MessageWriter();
            ErrorResponse.Write(writer, "FATAL", SqlState.TooManyConnections, message);
            client.Blocking = false;
            client.Send(writer.WrittenMemory.Span, SocketFlags.None, out _);
        }
        catch (SocketException)
        {
            // The client is gone already.
        }
        finally
        {
            client.Dispose();
        }
    }

    private sealed class AddressPlaces
    {
        public int Startups;
        public int Waiting;
    }

    private sealed class WaitingClient(Socket socket, IPAddress address)
    {
        public Socket Socket { get; } = socket;

        public IPAddress Address { get; } = address;

        public LinkedListNode<WaitingClient>? Node { get; set; }

        public Timer Expiry { get; set; } = null!;
    }
}
