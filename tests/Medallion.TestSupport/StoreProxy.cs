using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Medallion.TestSupport;

/// <summary>
/// A loopback HTTP/1.1 proxy in front of a store server (moto, Azurite, the GCS test server) that forwards requests and answers unchanged,
/// records the first line of each request (<see cref="Requests"/>), and injects faults (<see cref="Inject"/>): an error
/// status in the store's own error shape, a connection reset, a stall past the client's timeout, a truncated body,
/// each on the requests a rule picks by method, target and count. With <c>stopAt</c> it stops for good (listener and
/// every connection closed) as soon as a client sends a request whose first line contains it: to the client, the
/// server went away in the middle of that request, as when it is stopped mid-upload.
/// </summary>
/// <remarks>
/// Each connection is read as HTTP/1.1 both ways: a request's head, then its body by <c>Content-Length</c> or chunks;
/// an answer's head, then its body (none for <c>HEAD</c>, 1xx, 204 and 304), so a body is never taken for a request
/// and a fault hits exactly the exchange its rule picked, on keep-alive connections (Azurite's) as on moto's
/// one-request connections. A fault ends its connection (a status answer says <c>Connection: close</c>), so the
/// client's retry comes on a new one. Clients here never pipeline: the answer to a request comes before the next.
/// </remarks>
public sealed class StoreProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly string? _stopAt;
    private readonly List<TcpClient> _connections = [];
    private readonly List<StoreFaultRule> _rules = [];
    private readonly List<string> _requests = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts a proxy to <paramref name="target"/> on a free loopback port.</summary>
    public StoreProxy(Uri target, string? stopAt = null)
    {
        _target = target;
        _stopAt = stopAt;
        _listener.Start();
        // Read once: a stopped listener no longer knows its port.
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    /// <summary>The proxy's address, for the client to use as the store's endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>The first line of every request received so far (<c>GET /bucket/key HTTP/1.1</c>), in arrival order.</summary>
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

    /// <summary>Completes when the proxy stopped at the request it was waiting for (<c>stopAt</c>).</summary>
    public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Injects <paramref name="fault"/> into requests with <paramref name="method"/> (any when null) whose target (path
    /// and query) matches <paramref name="targetPattern"/>: every <paramref name="every"/>-th of them, at most
    /// <paramref name="times"/>; with <paramref name="oncePerTarget"/>, never a target that got it before. A request
    /// picked by several rules gets the first added.
    /// </summary>
    public StoreFaultRule Inject(StoreFault fault, string? method, string targetPattern, int times = int.MaxValue, int every = 1, bool oncePerTarget = false)
    {
        var rule = new StoreFaultRule(fault, method, new Regex(targetPattern, RegexOptions.CultureInvariant), times, every, oncePerTarget);
        lock (_rules)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    private StoreFault? FaultFor(string method, string target)
    {
        lock (_rules)
        {
            foreach (StoreFaultRule rule in _rules)
            {
                if (rule.Take(method, target))
                {
                    return rule.Fault;
                }
            }
        }

        return null;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                lock (_connections)
                {
                    _connections.Add(client);
                    _connections.Add(server);
                    Connections++;
                }

                _ = new Connection(this, client, server).RunAsync();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>One client connection and the proxy's connection to the store for it.</summary>
    private sealed class Connection(StoreProxy proxy, TcpClient client, TcpClient server)
    {
        /// <summary>The method of each request forwarded whose answer has not come yet, with its fault after the server.</summary>
        private readonly Queue<(string Method, string Target, StoreFault? Fault)> _pending = new();
        private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(proxy._stop.Token);

        public async Task RunAsync()
        {
            try
            {
                await server.ConnectAsync(proxy._target.Host, proxy._target.Port, _closed.Token);
                await Task.WhenAll(RequestsAsync(), AnswersAsync());
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException or InvalidDataException)
            {
            }
            finally
            {
                Close();
            }
        }

        private async Task RequestsAsync()
        {
            try
            {
                var from = new HttpReader(client.GetStream());
                NetworkStream to = server.GetStream();
                while (await from.ReadHeadAsync(_closed.Token) is { } head)
                {
                    lock (proxy._requests)
                    {
                        proxy._requests.Add(head.StartLine);
                    }

                    if (proxy._stopAt is not null && head.StartLine.Contains(proxy._stopAt, StringComparison.Ordinal))
                    {
                        proxy.Stop();
                        return;
                    }

                    string[] parts = head.StartLine.Split(' ');
                    StoreFault? fault = proxy.FaultFor(parts[0], parts.Length > 1 ? parts[1] : string.Empty);
                    if (fault is { AfterServer: false })
                    {
                        await FailBeforeServerAsync(head, from, fault);
                        return;
                    }

                    lock (_pending)
                    {
                        _pending.Enqueue((parts[0], parts.Length > 1 ? parts[1] : string.Empty, fault));
                    }

                    await to.WriteAsync(head.Raw, _closed.Token);
                    await from.CopyBodyAsync(head, isAnswerToHead: false, to, _closed.Token);
                }
            }
            finally
            {
                Close();
            }
        }

        /// <summary>A fault the store never sees: the request is read to its end (with a <c>100 Continue</c> when it waits for one) and answered here.</summary>
        private async Task FailBeforeServerAsync(HttpHead head, HttpReader from, StoreFault fault)
        {
            NetworkStream stream = client.GetStream();
            if (fault.Kind == StoreFaultKind.Stall)
            {
                // Whatever the client sends from here on goes nowhere; its connection stays open until it gives up.
                await from.CopyToEndAsync(null, _closed.Token);
                return;
            }

            if (string.Equals(head.Header("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
            {
                await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _closed.Token);
            }

            await from.CopyBodyAsync(head, isAnswerToHead: false, null, _closed.Token);
            if (fault.Kind == StoreFaultKind.Status)
            {
                string[] line = head.StartLine.Split(' ');
                await stream.WriteAsync(ErrorAnswer(fault.StatusCode, line[0], ServiceOf(line.Length > 1 ? line[1] : string.Empty, azure: head.Header("x-ms-version") is not null)), _closed.Token);
                client.Client.Shutdown(SocketShutdown.Send);
                return;
            }

            Reset();
        }

        private async Task AnswersAsync()
        {
            try
            {
                var from = new HttpReader(server.GetStream());
                NetworkStream to = client.GetStream();
                while (await from.ReadHeadAsync(_closed.Token) is { } head)
                {
                    int status = int.Parse(head.StartLine.Split(' ')[1], CultureInfo.InvariantCulture);
                    if (status is >= 100 and < 200)
                    {
                        await to.WriteAsync(head.Raw, _closed.Token);
                        continue;
                    }

                    (string method, string target, StoreFault? fault) = Dequeue();
                    bool noBody = method == "HEAD" || status is 204 or 304;
                    if (fault is null)
                    {
                        await to.WriteAsync(head.Raw, _closed.Token);
                        await from.CopyBodyAsync(head, noBody, to, _closed.Token);
                        continue;
                    }

                    await FailAfterServerAsync(head, method, ServiceOf(target, azure: head.Header("x-ms-request-id") is not null), noBody, from, fault);
                    return;
                }
            }
            finally
            {
                Close();
            }
        }

        /// <summary>A fault on the store's answer: the store did what it was asked; the client learns it wrong or not at all.</summary>
        private async Task FailAfterServerAsync(HttpHead answer, string method, string service, bool noBody, HttpReader from, StoreFault fault)
        {
            NetworkStream to = client.GetStream();
            switch (fault.Kind)
            {
                case StoreFaultKind.Status:
                    await to.WriteAsync(ErrorAnswer(fault.StatusCode, method, service), _closed.Token);
                    client.Client.Shutdown(SocketShutdown.Send);
                    return;
                case StoreFaultKind.Reset:
                    Reset();
                    return;
                case StoreFaultKind.ResetAfterHeaders:
                    await to.WriteAsync(answer.Raw, _closed.Token);
                    await to.FlushAsync(_closed.Token);
                    Reset();
                    return;
                case StoreFaultKind.TruncatedBody:
                    await to.WriteAsync(answer.Raw, _closed.Token);
                    long length = noBody ? 0 : answer.ContentLength ?? 0;
                    await from.CopyAsync(to, length / 2, _closed.Token);
                    client.Client.Shutdown(SocketShutdown.Send);
                    return;
                default:
                    // A stall: the answer is held until the client gives up and closes (the request side sees it) or the proxy stops.
                    await Task.Delay(Timeout.Infinite, _closed.Token);
                    return;
            }
        }

        private (string Method, string Target, StoreFault? Fault) Dequeue()
        {
            lock (_pending)
            {
                return _pending.TryDequeue(out (string, string, StoreFault?) next) ? next : throw new InvalidDataException("The store answered a request that was not sent.");
            }
        }

        /// <summary>The service a request is for (<c>s3</c>, <c>az</c>, <c>gs</c>): Azure's SDK names its version, and GCS's JSON API has paths of its own.</summary>
        private static string ServiceOf(string target, bool azure) =>
            azure ? "az" : target.StartsWith("/upload/storage/v1/", StringComparison.Ordinal) || target.StartsWith("/storage/v1/", StringComparison.Ordinal) ? "gs" : "s3";

        /// <summary>
        /// An answer of <paramref name="status"/> in the shape the store's SDK parses: S3's XML error, Azure's with its
        /// <c>x-ms-error-code</c>, or the JSON error of GCS's JSON API.
        /// </summary>
        private static byte[] ErrorAnswer(int status, string method, string service)
        {
            (string code, string message) = (status, service) switch
            {
                (500, "s3") => ("InternalError", "We encountered an internal error. Please try again."),
                (503, "s3") => ("SlowDown", "Please reduce your request rate."),
                (500, "az") => ("InternalError", "The server encountered an internal error. Please retry the request."),
                (503, "az") => ("ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
                (500, "gs") => ("internalError", "Internal Error"),
                (503, "gs") => ("backendError", "Backend Error"),
                _ => ("InjectedFault", "A fault injected by the test proxy."),
            };
            bool head = method == "HEAD";
            string body = service == "gs"
                ? $"{{\"error\":{{\"code\":{status},\"message\":\"{message}\",\"errors\":[{{\"message\":\"{message}\",\"domain\":\"global\",\"reason\":\"{code}\"}}]}}}}"
                : $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>store-proxy</RequestId></Error>";
            string headers = service switch
            {
                "az" => $"x-ms-error-code: {code}\r\nx-ms-request-id: store-proxy\r\nx-ms-version: 2025-01-05\r\nContent-Type: application/xml\r\n",
                "gs" => "X-GUploader-UploadID: store-proxy\r\nContent-Type: application/json; charset=UTF-8\r\n",
                _ => "x-amz-request-id: store-proxy\r\nContent-Type: application/xml\r\n",
            };
            string reason = status switch { 500 => "Internal Server Error", 503 => "Service Unavailable", _ => "Injected Fault" };
            return Encoding.UTF8.GetBytes(
                $"HTTP/1.1 {status} {reason}\r\nContent-Length: {(head ? 0 : Encoding.UTF8.GetByteCount(body))}\r\n{headers}Connection: close\r\n\r\n{(head ? string.Empty : body)}");
        }

        /// <summary>Ends the client's connection with a TCP RST (a zero linger time makes the close abortive).</summary>
        private void Reset()
        {
            client.LingerState = new LingerOption(true, 0);
            client.Close();
            Close();
        }

        private void Close()
        {
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>The head of a request or an answer: its raw bytes, its first line, and its headers.</summary>
    private sealed record HttpHead(byte[] Raw, string StartLine, IReadOnlyList<(string Name, string Value)> Headers)
    {
        public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

        public long? ContentLength => long.TryParse(Header("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;

        public bool Chunked => Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
    }

    /// <summary>Reads HTTP/1.1 messages off a stream through a buffer: heads, and bodies copied on (or dropped) as they come.</summary>
    private sealed class HttpReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _start;
        private int _end;

        /// <summary>The next head, or null when the stream ends before one begins.</summary>
        public async Task<HttpHead?> ReadHeadAsync(CancellationToken cancellationToken)
        {
            var raw = new MemoryStream();
            var lines = new List<string>();
            while (true)
            {
                byte[]? line = await ReadLineAsync(cancellationToken);
                if (line is null)
                {
                    return raw.Length == 0 ? null : throw new InvalidDataException("The connection ended inside a message head.");
                }

                raw.Write(line);
                if (line.Length <= 2)
                {
                    break;
                }

                lines.Add(Encoding.Latin1.GetString(line).TrimEnd('\r', '\n'));
            }

            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0].Trim(), p.Length > 1 ? p[1].Trim() : string.Empty)).ToList();
            return new HttpHead(raw.ToArray(), lines.Count > 0 ? lines[0] : string.Empty, headers);
        }

        /// <summary>Copies the body that follows <paramref name="head"/> to <paramref name="to"/> (drops it when null).</summary>
        public async Task CopyBodyAsync(HttpHead head, bool isAnswerToHead, Stream? to, CancellationToken cancellationToken)
        {
            if (isAnswerToHead)
            {
                return;
            }

            if (head.Chunked)
            {
                while (true)
                {
                    byte[] sizeLine = await ReadLineAsync(cancellationToken) ?? throw new InvalidDataException("The connection ended inside a chunked body.");
                    await WriteAsync(to, sizeLine, cancellationToken);
                    string size = Encoding.Latin1.GetString(sizeLine).Split(';')[0].Trim();
                    long n = long.Parse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (n == 0)
                    {
                        // Trailers, up to the empty line.
                        byte[]? trailer;
                        do
                        {
                            trailer = await ReadLineAsync(cancellationToken) ?? throw new InvalidDataException("The connection ended inside a chunked body.");
                            await WriteAsync(to, trailer, cancellationToken);
                        }
                        while (trailer.Length > 2);
                        return;
                    }

                    await CopyAsync(to, n + 2, cancellationToken);
                }
            }

            if (head.ContentLength is long length)
            {
                await CopyAsync(to, length, cancellationToken);
            }
            else if (!head.StartLine.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                // A request without a length or chunks has no body.
            }
            else
            {
                // An answer without a length runs to the end of the connection.
                await CopyToEndAsync(to, cancellationToken);
            }
        }

        /// <summary>Copies <paramref name="length"/> bytes (fewer when the stream ends first).</summary>
        public async Task CopyAsync(Stream? to, long length, CancellationToken cancellationToken)
        {
            while (length > 0)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    return;
                }

                int n = (int)Math.Min(length, _end - _start);
                await WriteAsync(to, _buffer.AsMemory(_start, n), cancellationToken);
                _start += n;
                length -= n;
            }
        }

        /// <summary>Copies everything up to the end of the stream.</summary>
        public Task CopyToEndAsync(Stream? to, CancellationToken cancellationToken) => CopyAsync(to, long.MaxValue, cancellationToken);

        private static async Task WriteAsync(Stream? to, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            if (to is not null)
            {
                await to.WriteAsync(bytes, cancellationToken);
            }
        }

        /// <summary>The bytes up to and including the next line feed; null when the stream ends before any.</summary>
        private async Task<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new MemoryStream();
            while (true)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    return line.Length == 0 ? null : throw new InvalidDataException("The connection ended inside a line.");
                }

                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                int end = lf >= 0 ? lf + 1 : _end;
                line.Write(_buffer, _start, end - _start);
                _start = end;
                if (lf >= 0)
                {
                    return line.ToArray();
                }
            }
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken);
            return _end > 0;
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
