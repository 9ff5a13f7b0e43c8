using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Medallion.TestSupport;

/// <summary>
/// A loopback TCP proxy in front of a store server that forwards bytes both ways unchanged and records the first line
/// of each request (<see cref="Requests"/>), for tests that count what a client asked the store. With <c>stopAt</c> it
/// stops for good (listener and every connection closed) as soon as a client sends a request whose first line contains
/// it: to the client, the server went away in the middle of that request, as when it is stopped mid-upload. With
/// <c>hold</c> it stops only that request instead: its bytes go nowhere and its connection stays open, so the client
/// hangs inside the request (for a test to kill it there), while other connections go on.
/// </summary>
/// <remarks>
/// A request's first line is read from the start of a chunk a client sends; moto answers <c>Connection: close</c>, so
/// each of its connections carries one request and every request is seen. The body of an upload is never taken for one.
/// </remarks>
public sealed class StoreProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly string? _stopAt;
    private readonly bool _hold;
    private readonly List<TcpClient> _connections = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts a proxy to <paramref name="target"/> on a free loopback port.</summary>
    public StoreProxy(Uri target, string? stopAt = null, bool hold = false)
    {
        _target = target;
        _stopAt = stopAt;
        _hold = hold;
        _listener.Start();
        // Read once: a stopped listener no longer knows its port.
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    /// <summary>The proxy's address, for the client to use as the store's endpoint.</summary>
    public Uri Endpoint { get; }

    private readonly List<string> _requests = [];

    /// <summary>The first line of every request forwarded so far (<c>GET /bucket/key HTTP/1.1</c>), in arrival order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>How many connections clients opened to the proxy.</summary>
    public int Connections { get; private set; }

    /// <summary>Completes when the proxy stopped (or held) the request it was waiting for.</summary>
    public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                lock (_connections)
                {
                    _connections.Add(client);
                    _connections.Add(server);
                    Connections++;
                }

                _ = PumpAsync(client.GetStream(), server.GetStream(), watch: true);
                _ = PumpAsync(server.GetStream(), client.GetStream(), watch: false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool watch)
    {
        byte[] buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                string line = watch ? Encoding.ASCII.GetString(buffer, 0, Math.Min(n, 2048)).Split("\r\n", 2)[0] : string.Empty;
                if (watch && line.EndsWith(" HTTP/1.1", StringComparison.Ordinal))
                {
                    lock (_requests)
                    {
                        _requests.Add(line);
                    }
                }

                if (_stopAt is not null && line.Contains(_stopAt, StringComparison.Ordinal))
                {
                    if (_hold)
                    {
                        Stopped.TrySetResult();
                    }
                    else
                    {
                        Stop();
                    }

                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void Stop()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_connections)
        {
            foreach (TcpClient c in _connections)
            {
                c.Dispose();
            }
        }

        Stopped.TrySetResult();
    }

    /// <summary>Stops the proxy and closes every connection.</summary>
    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            Stop();
        }

        _listener.Dispose();
        _stop.Dispose();
    }
}
