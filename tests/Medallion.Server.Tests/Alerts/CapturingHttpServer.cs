using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Medallion.Server.Tests.Alerts;

/// <summary>A local HTTP server (HttpListener) that records every request and answers with the next queued status (200 when none).</summary>
internal sealed class CapturingHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<HttpStatusCode> _answers = new();
    private readonly Task _loop;

    public CapturingHttpServer()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; }

    public BlockingCollection<CapturedRequest> Requests { get; } = [];

    /// <summary>Answers the next requests with these statuses, in order.</summary>
    public void AnswerNext(params HttpStatusCode[] statuses)
    {
        foreach (HttpStatusCode status in statuses)
        {
            _answers.Enqueue(status);
        }
    }

    /// <summary>The next request, waiting up to <paramref name="seconds"/>.</summary>
    public CapturedRequest Next(int seconds = 30) =>
        Requests.TryTake(out CapturedRequest? request, TimeSpan.FromSeconds(seconds)) ? request : throw new TimeoutException($"No request came within {seconds} s.");

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        Requests.Dispose();
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

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            context.Response.StatusCode = (int)(_answers.TryDequeue(out HttpStatusCode status) ? status : HttpStatusCode.OK);
            context.Response.Close();
            if (!Requests.IsAddingCompleted)
            {
                Requests.Add(new CapturedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body.ToArray()));
            }
        }
    }
}

internal sealed record CapturedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;
}
