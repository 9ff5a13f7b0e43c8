using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// A loopback TCP proxy in front of a store server that stops for good (listener and every connection closed) as
/// soon as a client sends a request whose first line contains <c>stopAt</c>: to the client, the server went away in
/// the middle of that request, as when it is stopped mid-upload. Until then it forwards bytes both ways unchanged.
/// With <c>hold</c> it stops only that request instead: its bytes go nowhere and its connection stays open, so the
/// client hangs inside the request (for a test to kill it there), while other connections go on.
/// </summary>
internal sealed class StoppingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly string _stopAt;
    private readonly bool _hold;
    private readonly List<TcpClient> _connections = [];
    private readonly CancellationTokenSource _stop = new();

    public StoppingProxy(Uri target, string stopAt, bool hold = false)
    {
        _target = target;
        _stopAt = stopAt;
        _hold = hold;
        _listener.Start();
        // Read once: a stopped listener no longer knows its port.
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    public Uri Endpoint { get; }

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

                if (watch && Encoding.ASCII.GetString(buffer, 0, Math.Min(n, 2048)).Split("\r\n", 2)[0].Contains(_stopAt, StringComparison.Ordinal))
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
