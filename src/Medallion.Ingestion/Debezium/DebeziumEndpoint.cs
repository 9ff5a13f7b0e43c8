using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Http;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Ingestion.Debezium;

/// <summary>
/// An HTTP endpoint that takes Debezium change events into one bronze table: <c>POST /</c> with one event (a JSON
/// object) or several (a JSON array). Each request is committed to bronze (one Delta commit) before the
/// <c>200</c> answer, so an acknowledged event is never lost; a malformed request gets <c>400</c> naming the problem
/// and the event's place in the body, and nothing of it is written. <c>GET /health</c> answers <c>200</c>.
/// </summary>
/// <remarks>
/// <para>With a bearer token, every <c>POST</c> must carry <c>Authorization: Bearer &lt;token&gt;</c>; without it, or
/// with another token, the answer is <c>401</c> and nothing is read. An endpoint without a token only listens on a
/// loopback address (<see cref="Start"/> refuses any other), so no other machine can write bronze unasked.</para>
/// <para>A web page in a browser on this machine cannot write either: a request carrying an <c>Origin</c> header (which
/// browsers add to every cross-site <c>POST</c>, and Debezium senders never send) gets <c>403</c>, and a body not
/// declared <c>application/json</c> (or <c>application/...+json</c>, in UTF-8) gets <c>415</c>, the only types a page
/// could send without the browser asking the endpoint first. Nothing of a refused request is read or written.</para>
/// <para>Up to <see cref="MaxOpenRequests"/> requests are read at once (<see cref="MaxOpenRequestsPerAddress"/> from one
/// address); more are answered <c>503</c> at once, to be sent again. A body must start arriving within
/// <see cref="BodyGrace"/> and then keep an average of <see cref="MinBodyBytesPerSecond"/> (Kestrel's defaults), or its
/// connection is closed: a sender that sends headers and a byte and then stalls holds a place for seconds, not for
/// ever. Up to <see cref="MaxConcurrentRequests"/> bodies that have arrived are parsed at once, so a large one does
/// not hold the others up; their commits go one at a time through the staging connection, each answered once it
/// is durable, so commits follow the order in which requests were answered. A sender that gets no answer (a crash,
/// a timeout) sends again: the bronze rows of a retried request may then appear twice, which a <c>merge</c> model
/// ordered by <c>_lsn, _seq</c> absorbs. Answers are JSON: <c>{"accepted": n, "version": v}</c> or
/// <c>{"error": "..."}</c>.</para>
/// </remarks>
public sealed class DebeziumEndpoint : IDisposable
{
    /// <summary>The largest request body accepted (64 MiB); a larger one gets 413.</summary>
    public const int MaxBodyBytes = 64 << 20;

    /// <summary>How many bodies that have arrived are parsed at once; more wait their turn.</summary>
    public const int MaxConcurrentRequests = 4;

    /// <summary>How many requests may be open (being read, parsed or committed) at once; one more is answered 503.</summary>
    public const int MaxOpenRequests = 16;

    /// <summary>How many of the open requests may come from one address; one more is answered 429.</summary>
    public const int MaxOpenRequestsPerAddress = 8;

    /// <summary>The slowest average rate, in bytes per second, a body may arrive at once <see cref="BodyGrace"/> has passed.</summary>
    public const int MinBodyBytesPerSecond = 240;

    /// <summary>How long a body may take before it must keep up <see cref="MinBodyBytesPerSecond"/>.</summary>
    public static readonly TimeSpan BodyGrace = TimeSpan.FromSeconds(5);

    private readonly DuckDbConnection _connection;
    private readonly BronzeSink _sink;
    private readonly HttpListener _listener = new();
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly string _shownAddress;
    private readonly string? _tokenSetting;
    private readonly Func<string, string?> _environment;
    private byte[]? _tokenHash;
    private readonly SemaphoreSlim _inFlight = new(MaxConcurrentRequests, MaxConcurrentRequests);
    private readonly SemaphoreSlim _committing = new(1, 1);
    private readonly Dictionary<IPAddress, int> _openByAddress = [];
    private int _open;
    private long _events;
    private int _stopped;

    /// <summary>Creates the endpoint; it listens once <see cref="RunAsync"/> is called.</summary>
    /// <param name="connection">The DuckDB connection batches are staged in; the sink's writer must use it too.</param>
    /// <param name="sink">The bronze table the events land in.</param>
    /// <param name="address">Where to listen, e.g. <c>http://127.0.0.1:8089/</c>.</param>
    /// <param name="loggerFactory">Where commits and refused requests are logged.</param>
    /// <param name="bearerToken">The token every <c>POST</c> must carry as <c>Authorization: Bearer</c>, or an environment
    /// variable reference <c>${NAME}</c> holding it, as in an HTTP API source's <c>auth.token</c> (resolved by
    /// <see cref="Start"/>); null lets any local sender in (the endpoint then listens on loopback addresses only).</param>
    /// <param name="environment">Resolves <c>${NAME}</c> in <paramref name="bearerToken"/>; the process environment when null.</param>
    public DebeziumEndpoint(DuckDbConnection connection, BronzeSink sink, Uri address, ILoggerFactory? loggerFactory = null, string? bearerToken = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(address);
        _connection = connection;
        _sink = sink;
        Address = address;
        _shownAddress = address.ToString();
        _key = "debezium:" + sink.SourceName;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DebeziumEndpoint>();
        _tokenSetting = string.IsNullOrEmpty(bearerToken) ? null : bearerToken;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>The address the endpoint listens on.</summary>
    public Uri Address { get; }

    /// <summary>Reads a listen address written as <c>host:port</c> (e.g. <c>127.0.0.1:8089</c>) as the endpoint's URI.</summary>
    /// <param name="hostAndPort">The address as written.</param>
    /// <param name="address"><c>http://host:port/</c>; null when the text is not exactly a host and a port.</param>
    public static bool TryParseListen(string hostAndPort, [NotNullWhen(true)] out Uri? address) =>
        Uri.TryCreate($"http://{hostAndPort}/", UriKind.Absolute, out address) && address.AbsolutePath == "/";

    /// <summary>Requests accepted and not yet answered (or cut off).</summary>
    internal int OpenRequests => Volatile.Read(ref _open);

    /// <summary>Events committed since the endpoint started.</summary>
    public long EventsCommitted => Interlocked.Read(ref _events);

    /// <summary>Starts listening (the port is taken when this returns).</summary>
    /// <exception cref="MedallionException">The address cannot be listened on (in use, not local), it is not a
    /// loopback address and the endpoint has no bearer token, or the token's environment variable is not set
    /// (<see cref="ErrorCode.SourceSecretMissing"/>, naming the variable).</exception>
    public void Start()
    {
        if (_tokenSetting is not null)
        {
            // Only the hash is kept: the comparison needs nothing else, and the token cannot leak from here.
            string token = new SecretResolver(_sink.SourceName, _environment).Resolve(_tokenSetting, "auth.token");
            _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        }

        if (_tokenHash is null && !IsLoopback(Address))
        {
            throw new MedallionException(ErrorCode.SourceSecretMissing,
                $"Debezium endpoint: {Address} can be reached from other machines, and without a token anyone there could write to {_sink.TablePath}.\nHelp: give the endpoint a bearer token ('auth: {{type: bearer, token: ${{NAME}}}}' in its sources/*.yml entry), or listen on 127.0.0.1.");
        }

        try
        {
            // Added only now: the listener cannot even be disposed with a prefix for an address it never bound.
            _listener.Prefixes.Add(Address.GetLeftPart(UriPartial.Authority) + "/");
            _listener.Start();
        }
        catch (HttpListenerException e)
        {
            throw new MedallionException(ErrorCode.SourceUnavailable,
                $"Debezium endpoint: cannot listen on {Address}: {e.Message}\nHelp: choose a free port, and an address of this machine (e.g. 127.0.0.1:8089).", e,
                isTransient: false); // An address that cannot be listened on (taken, not this machine's) stays so.
        }
    }

    /// <summary>Answers requests until <paramref name="cancellationToken"/> is cancelled, then returns (the request in hand is finished first).</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (!_listener.IsListening)
        {
            Start();
        }

        await _sink.GetCommittedPositionAsync(_key, cancellationToken).ConfigureAwait(false);
        var handling = new List<Task>();
        using (cancellationToken.Register(Stop))
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                handling.RemoveAll(t => t.IsCompleted);
                HttpListenerContext context;
                try
                {
                    // Never waits for a place: a request over the limits is answered at once, so senders that stall
                    // cannot keep the next one from being accepted.
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // Off the accept loop: a body that is already buffered would otherwise be parsed, and maybe committed,
                // before the next request is even accepted.
                handling.Add(Task.Run(() => AdmitAsync(context), CancellationToken.None));
            }
        }

        // Requests under way are not cut short by the stop: an event whose commit started is answered.
        await Task.WhenAll(handling).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // A stopped listener has let its port go; disposing it would make .NET bind that port again only to release it,
        // which fails when something else has taken the port meanwhile.
        if (Volatile.Read(ref _stopped) == 0)
        {
            ((IDisposable)_listener).Dispose();
        }

        _inFlight.Dispose();
        _committing.Dispose();
    }

    /// <summary>Serves the request if it fits within <see cref="MaxOpenRequests"/> and <see cref="MaxOpenRequestsPerAddress"/>, else refuses it with when to try again.</summary>
    private async Task AdmitAsync(HttpListenerContext context)
    {
        IPAddress address = context.Request.RemoteEndPoint.Address;
        (int Status, string Problem)? full;
        lock (_openByAddress)
        {
            int fromAddress = _openByAddress.GetValueOrDefault(address);
            full = _open >= MaxOpenRequests ? (503, $"{MaxOpenRequests} requests are open already")
                : fromAddress >= MaxOpenRequestsPerAddress ? (429, $"{MaxOpenRequestsPerAddress} requests from {address} are open already")
                : null;
            if (full is null)
            {
                _open++;
                _openByAddress[address] = fromAddress + 1;
            }
        }

        if (full is { } refused)
        {
            context.Response.AddHeader("Retry-After", "1");
            await RefuseAsync(context, refused.Status, refused.Problem + "; send the events again in a moment; nothing was written").ConfigureAwait(false);
            return;
        }

        try
        {
            await ServeAsync(context).ConfigureAwait(false);
        }
        finally
        {
            lock (_openByAddress)
            {
                _open--;
                if (--_openByAddress[address] == 0)
                {
                    _openByAddress.Remove(address);
                }
            }
        }
    }

    private void Stop()
    {
        Volatile.Write(ref _stopped, 1);
        _listener.Stop();
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        try
        {
            await HandleAsync(context, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One request's failure (a DuckDB or I/O error) must not stop the endpoint or the requests beside it.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            LogMessages.DebeziumRefused(_logger, _shownAddress, e.Message);
            await AnswerAsync(context, 500, w => w.WriteString("error", $"{e.GetType().Name}: {e.Message}; the request may not have been written, send it again")).ConfigureAwait(false);
        }
    }

    private static bool IsLoopback(Uri address) =>
        string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(address.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));

    /// <summary>Whether the request carries the endpoint's bearer token (always, when it has none); compared in constant time.</summary>
    private bool Authorized(HttpListenerRequest request)
    {
        if (_tokenHash is null)
        {
            return true;
        }

        string? header = request.Headers["Authorization"];
        const string Scheme = "Bearer ";
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing first gives both sides the same length, so the comparison's time says nothing about the token.
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _tokenHash);
    }

    /// <summary>
    /// Why a request's <c>Content-Type</c> is not taken, or null: the body must be declared JSON (<c>application/json</c>
    /// or an <c>application/...+json</c> type such as CloudEvents') in UTF-8, the only encoding JSON has.
    /// </summary>
    /// <remarks>
    /// Beyond saying what the body is, this shuts out forms and <c>fetch</c> calls of web pages: a browser sends a
    /// cross-site <c>POST</c> without asking first only as <c>text/plain</c>, a form or multipart, never as JSON.
    /// </remarks>
    private static string? ContentTypeProblem(string? contentType)
    {
        const string Expected = "; send the events with 'Content-Type: application/json'; nothing was written";
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return "the request has no Content-Type" + Expected;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type) || type.MediaType is not { } media)
        {
            return $"the Content-Type '{contentType}' cannot be read" + Expected;
        }

        bool json = media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        if (!json)
        {
            return $"the body is declared '{media}', not JSON" + Expected;
        }

        string? charset = type.CharSet?.Trim('"');
        return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"the body is declared in charset '{charset}', but JSON is read as UTF-8" + Expected;
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        HttpListenerRequest request = context.Request;
        string path = request.Url?.AbsolutePath ?? "/";
        try
        {
            if (request.HttpMethod == "GET" && path == "/health")
            {
                await AnswerAsync(context, 200, w => w.WriteString("status", "ok")).ConfigureAwait(false);
                return;
            }

            if (path != "/")
            {
                await RefuseAsync(context, 404, $"there is nothing at {path}; POST events to /").ConfigureAwait(false);
                return;
            }

            if (request.HttpMethod != "POST")
            {
                await RefuseAsync(context, 405, $"{request.HttpMethod} is not accepted; POST events to /").ConfigureAwait(false);
                return;
            }

            // A web page open in a browser on this machine can POST to a loopback address too; the browser always names
            // the page's origin then, and no Debezium sender does, so such a request is nobody we should take events from.
            if (request.Headers["Origin"] is { } origin)
            {
                await RefuseAsync(context, 403, $"requests from web pages are refused (this one carries 'Origin: {origin}'), so no site open in a browser can write to bronze; nothing was written").ConfigureAwait(false);
                return;
            }

            if (!Authorized(request))
            {
                context.Response.AddHeader("WWW-Authenticate", "Bearer realm=\"medallion\"");
                await RefuseAsync(context, 401, "this endpoint needs 'Authorization: Bearer <token>' with its token; nothing was written").ConfigureAwait(false);
                return;
            }

            if (ContentTypeProblem(request.ContentType) is { } unsupported)
            {
                await RefuseAsync(context, 415, unsupported).ConfigureAwait(false);
                return;
            }

            // Read now: once a slow sender is cut off, its request no longer knows where it came from.
            IPEndPoint sender = request.RemoteEndPoint;
            byte[]? body;
            try
            {
                body = request.ContentLength64 > MaxBodyBytes ? null : await ReadBodyAsync(context).ConfigureAwait(false);
            }
            catch (TimeoutException slow)
            {
                // The connection is closed already: there is nobody to answer.
                LogMessages.DebeziumRefused(_logger, _shownAddress, $"{slow.Message} (from {sender}); its connection was closed and nothing was written");
                return;
            }

            if (body is null)
            {
                await RefuseAsync(context, 413, $"the body is larger than {MaxBodyBytes} bytes; send fewer events per request").ConfigureAwait(false);
                return;
            }

            (int events, long? version, string? problem) = await ParseAndCommitAsync(body, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                await RefuseAsync(context, 400, problem).ConfigureAwait(false);
                return;
            }

            await AnswerAsync(context, 200, w =>
            {
                w.WriteNumber("accepted", events);
                if (version is long v)
                {
                    w.WriteNumber("version", v);
                }
            }).ConfigureAwait(false);
        }
        catch (MedallionException e)
        {
            LogMessages.DebeziumRefused(_logger, _shownAddress, e.Message);
            await AnswerAsync(context, 500, w => w.WriteString("error", $"{ErrorCodes.Format(e.Code)}: {e.Message}")).ConfigureAwait(false);
        }
    }

    /// <summary>Commits a body once one of the <see cref="MaxConcurrentRequests"/> places to parse in is free.</summary>
    private async Task<(int Events, long? Version, string? Problem)> ParseAndCommitAsync(byte[] body, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CommitAsync(body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// Parses every event (with other requests), then stages and commits them all (one request at a time), or nothing
    /// with the first problem found.
    /// </summary>
    private async Task<(int Events, long? Version, string? Problem)> CommitAsync(byte[] body, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return (0, null, $"the body is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {JsonRecordWriter.JsonProblem(e)}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            IReadOnlyList<JsonElement> events = root.ValueKind == JsonValueKind.Array ? [.. root.EnumerateArray()] : [root];
            var changes = new List<(DebeziumChange Change, int Index)>(events.Count);
            for (int i = 0; i < events.Count; i++)
            {
                if (!DebeziumChange.TryRead(events[i], out DebeziumChange? change, out string? problem))
                {
                    string where = root.ValueKind == JsonValueKind.Array ? $"event {i + 1} of {events.Count} (index {i} of the array)" : "the event";
                    return (0, null, $"{where}: {problem}; nothing of this request was written");
                }

                if (change is not null)
                {
                    changes.Add((change, i));
                }
            }

            if (changes.Count == 0)
            {
                return (0, null, null);
            }

            // The staging connection and the bronze table take one request at a time.
            await _committing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await StageAndCommitAsync(changes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _committing.Release();
            }
        }
    }

    private async Task<(int Events, long? Version, string? Problem)> StageAndCommitAsync(List<(DebeziumChange Change, int Index)> changes, CancellationToken cancellationToken)
    {
        using var table = new JsonBatchTable(_connection, DebeziumChange.ChangeColumnTypes);
        ulong? lsn = null;
        foreach ((DebeziumChange change, int index) in changes)
        {
            change.WriteBronzeRow(table.BeginRecord(), index);
            table.EndRecord();
            lsn = change.Lsn is ulong l && (lsn is null || l > lsn) ? l : lsn;
        }

        IReadOnlyList<SourceColumn> columns;
        try
        {
            columns = await table.LoadAsync(null, cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            return (0, null, $"the events' values cannot be read as a table: {e.Message}; nothing of this request was written");
        }

        int count = changes.Count;
        long total = EventsCommitted + count;
        var position = new SourcePosition(IngestionMode.Cdc, total, [], [], [], lsn);
        try
        {
            await _sink.WriteBatchAsync(_key, new SourceBatch(table.QuotedName, columns, total, count, position, isCommitPoint: true), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A write that failed before its commit stays staged in the sink; dropped here, so none of this request's
            // rows ride along with the next request's commit.
            await _sink.CompleteAsync(_key, null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // Counted only once durable, so EventsCommitted never includes a request answered with an error.
        Interlocked.Exchange(ref _events, total);
        LogMessages.DebeziumCommitted(_logger, _shownAddress, count, _sink.TablePath, _sink.LastCommittedVersion);
        return (count, _sink.LastCommittedVersion, null);
    }

    /// <summary>The request's body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    /// <exception cref="TimeoutException">The body arrived slower than <see cref="BodyGrace"/> and <see cref="MinBodyBytesPerSecond"/> allow; its connection is closed.</exception>
    private static async Task<byte[]?> ReadBodyAsync(HttpListenerContext context)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[1 << 16];
        long started = Stopwatch.GetTimestamp();
        using var late = new CancellationTokenSource();
        // A read waiting for a stalled sender ends only when its connection does: closing it is how the wait is cut.
        using (late.Token.Register(context.Response.Abort))
        {
            try
            {
                while (true)
                {
                    TimeSpan allowed = BodyGrace + TimeSpan.FromSeconds((double)buffer.Length / MinBodyBytesPerSecond) - Stopwatch.GetElapsedTime(started);
                    if (allowed <= TimeSpan.Zero)
                    {
                        late.Cancel();
                        break;
                    }

                    late.CancelAfter(allowed);
                    int read = await context.Request.InputStream.ReadAsync(chunk).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (buffer.Length + read > MaxBodyBytes)
                    {
                        return null;
                    }

                    buffer.Write(chunk, 0, read);
                }
            }
#pragma warning disable CA1031 // Whatever the read fails with once its connection is closed, the cut is what happened.
            catch (Exception) when (late.IsCancellationRequested)
#pragma warning restore CA1031
            {
                // The connection closed under the read: the check below says why.
            }

            // From here the body is whole or refused: no cut may close the connection its answer goes on.
            late.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        // Checked after the last read too: a cut that raced a read's end left the connection closed all the same.
        if (late.IsCancellationRequested)
        {
            throw new TimeoutException($"a body that arrived slower than {MinBodyBytesPerSecond} bytes/s after {BodyGrace.TotalSeconds:0} s ({buffer.Length} bytes in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s)");
        }

        return buffer.ToArray();
    }

    private async Task RefuseAsync(HttpListenerContext context, int status, string problem)
    {
        LogMessages.DebeziumRefused(_logger, _shownAddress, problem);
        await AnswerAsync(context, status, w => w.WriteString("error", problem)).ConfigureAwait(false);
    }

    private static async Task AnswerAsync(HttpListenerContext context, int status, Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        HttpListenerResponse response = context.Response;
        byte[] bytes = stream.ToArray();
        try
        {
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // The sender went away, or its connection was closed (cut off, or the endpoint stopping); what was committed
            // stays committed, and it will send again.
        }
    }
}
