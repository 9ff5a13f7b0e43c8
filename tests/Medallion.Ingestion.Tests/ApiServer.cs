using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Medallion.Ingestion.Tests;

/// <summary>An answer of <see cref="ApiServer"/>.</summary>
public sealed record ApiAnswer(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default)
{
    public static ApiAnswer Json(string body, params (string Name, string Value)[] headers) => new(200, body, headers.ToDictionary(h => h.Name, h => h.Value));
}

/// <summary>A real HTTP server (HttpListener on a free loopback port) in the test process, answering with a handler and recording every request.</summary>
public sealed class ApiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, ApiAnswer> _handler;
    private readonly Task _loop;

    public ApiServer(Func<HttpListenerRequest, ApiAnswer> handler)
    {
        _handler = handler;
        int port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string BaseUrl { get; }

    /// <summary>Each request as "path?query", with its headers.</summary>
    public ConcurrentQueue<(string PathAndQuery, Dictionary<string, string> Headers, DateTime At)> Requests { get; } = new();

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        // Close alone: after Stop, closing removes the listener's port a second time, and .NET then binds the port
        // again to do so, which fails when something else has taken it meanwhile.
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                HttpListenerRequest request = context.Request;
                Requests.Enqueue((request.Url!.PathAndQuery, request.Headers.AllKeys.ToDictionary(k => k!, k => request.Headers[k]!, StringComparer.OrdinalIgnoreCase), DateTime.UtcNow));
                ApiAnswer answer = _handler(request);
                if (answer.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(answer.Delay);
                }

                try
                {
                    context.Response.StatusCode = answer.Status;
                    foreach ((string name, string value) in answer.Headers ?? new Dictionary<string, string>())
                    {
                        context.Response.Headers[name] = value;
                    }

                    byte[] body = Encoding.UTF8.GetBytes(answer.Body);
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
                {
                    // The client gave up (a timeout test); nothing to answer.
                }
            });
        }
    }
}
