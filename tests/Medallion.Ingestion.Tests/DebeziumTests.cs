using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Medallion.Ingestion.Debezium;

namespace Medallion.Ingestion.Tests;

/// <summary>Debezium change events, read into the bronze row our CDC writes, and pushed over HTTP into a real bronze table.</summary>
public sealed class DebeziumTests : IDisposable
{
    private const string Update = """
        {"schema":{"type":"struct"},"payload":{"before":{"id":7,"status":"new"},"after":{"id":7,"status":"paid"},"op":"u",
         "source":{"lsn":24023128,"txId":555,"ts_ms":1767261600123,"db":"shop","table":"orders"},"ts_ms":1767261600999}}
        """;

    private const string Delete = """{"before":{"id":7,"status":"paid"},"after":null,"op":"d","source":{"lsn":24023200,"txId":556,"ts_ms":1767261601000}}""";

    private readonly DuckDbTarget _target = new();
    private readonly BronzeTable _bronze;
    private readonly HttpClient _client = new();

    public DebeziumTests() => _bronze = new BronzeTable(_target);

    public void Dispose()
    {
        _client.Dispose();
        _bronze.Dispose();
        _target.Dispose();
    }

    private static string Row(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.True(DebeziumChange.TryRead(document.RootElement, out DebeziumChange? change, out string? problem), problem);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            change!.WriteBronzeRow(writer, 0);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string? Problem(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return DebeziumChange.TryRead(document.RootElement, out _, out string? problem) ? null : problem;
    }

    [Fact]
    public void An_update_in_the_schema_and_payload_envelope_becomes_the_cdc_row_with_its_before_image()
    {
        Assert.Equal(
            "{\"_op\":\"update\",\"_lsn\":24023128,\"_seq\":0,\"_commit_ts\":\"2026-01-01 10:00:00.123+00\",\"_txid\":555,\"id\":7,\"status\":\"paid\",\"_before_id\":7,\"_before_status\":\"new\"}",
            Row(Update));
    }

    [Fact]
    public void A_delete_without_the_envelope_takes_its_row_from_before()
    {
        Assert.Equal(
            "{\"_op\":\"delete\",\"_lsn\":24023200,\"_seq\":0,\"_commit_ts\":\"2026-01-01 10:00:01.000+00\",\"_txid\":556,\"id\":7,\"status\":\"paid\",\"_before_id\":7,\"_before_status\":\"paid\"}",
            Row(Delete));
    }

    [Theory]
    [InlineData("""{"after":{"id":1}}""", "'op' is missing (expected \"c\", \"u\", \"d\", \"r\" or \"t\"); it has after")]
    [InlineData("""{"op":"x","after":{"id":1}}""", "'op' is \"x\", not one of c, u, d, r, t")]
    [InlineData("""{"op":"c","after":null}""", "'after' is missing or null, but an event with op insert needs it")]
    [InlineData("""{"op":"d","after":null}""", "'before' is missing or null, but an event with op delete needs it")]
    [InlineData("""{"op":"c","after":[1]}""", "'after' must be an object or null, but it is an array")]
    [InlineData("""{"op":"c","after":{"id":1},"source":{"lsn":"0/16B3748"}}""", "'lsn' must be a non-negative whole number, but it is \"0/16B3748\"")]
    [InlineData("""[1]""", "an event must be a JSON object, but this is an array")]
    public void A_malformed_event_is_refused_with_the_problem_named(string json, string problem) => Assert.Equal(problem, Problem(json));

    [Fact]
    public void A_tombstone_is_read_as_no_change() => Assert.Null(Problem("""{"schema":null,"payload":null}"""));

    private async Task<(DebeziumEndpoint Endpoint, Task Running, CancellationTokenSource Stop)> StartAsync(string? token = null, RecordingLog? log = null, Func<string, string?>? environment = null)
    {
        var endpoint = new DebeziumEndpoint(_target.Connection, _bronze.Sink("orders_cdc"), new Uri($"http://127.0.0.1:{ApiServer.FreePort()}/"), log, token, environment);
        endpoint.Start();
        var stop = new CancellationTokenSource();
        Task running = endpoint.RunAsync(stop.Token);
        await Task.Yield();
        return (endpoint, running, stop);
    }

    private async Task<HttpResponseMessage> PostAsync(DebeziumEndpoint endpoint, string body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Address) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task A_posted_array_of_events_is_committed_to_bronze_before_the_answer()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage response = await PostAsync(endpoint, $"[{Update},{Delete}]");
            string answer = await response.Content.ReadAsStringAsync();
            // Read before stopping the endpoint: the answer alone must mean the rows are durable.
            await _bronze.ViewAsync();
            List<string> rows = _target.Column<string>("SELECT concat_ws('|', _op, _lsn, _txid, id, status, _before_status) FROM bronze ORDER BY _lsn");
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"accepted\":2,\"version\":0}", answer);
            Assert.Equal(["update|24023128|555|7|paid|new", "delete|24023200|556|7|paid|paid"], rows);
        }
    }

    [Fact]
    public async Task A_request_with_one_malformed_event_gets_400_naming_it_and_writes_nothing()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage first = await PostAsync(endpoint, Update);
            HttpResponseMessage response = await PostAsync(endpoint, $"[{Delete},{{\"op\":\"z\"}}]");
            string answer = await response.Content.ReadAsStringAsync();
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("{\"error\":\"event 2 of 2 (index 1 of the array): 'op' is \\\"z\\\", not one of c, u, d, r, t; nothing of this request was written\"}", answer);
            Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        }
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_400_naming_the_line_and_byte()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage response = await PostAsync(endpoint, "[\n{\"op\":\"c\",}]");
            string answer = await response.Content.ReadAsStringAsync();
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("{\"error\":\"the body is not valid JSON at line 2, byte 11:", answer, StringComparison.Ordinal);
            Assert.False(Directory.Exists(_bronze.Path));
        }
    }

    [Fact]
    public async Task A_request_bronze_cannot_take_gets_500_and_is_neither_written_nor_counted()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage first = await PostAsync(endpoint, """{"op":"c","after":{"id":1,"status":"new"},"source":{"lsn":1}}""");
            HttpResponseMessage clash = await PostAsync(endpoint, """{"op":"c","after":{"id":{"nested":true},"status":"new"},"source":{"lsn":2}}""");
            string clashAnswer = await clash.Content.ReadAsStringAsync();
            HttpResponseMessage next = await PostAsync(endpoint, """{"op":"c","after":{"id":3,"status":"new"},"source":{"lsn":3}}""");
            await stop.CancelAsync();
            await running;
            await _bronze.ViewAsync();

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, next.StatusCode));
            Assert.Equal(HttpStatusCode.InternalServerError, clash.StatusCode);
            Assert.StartsWith("{\"error\":\"MDL4004: ", clashAnswer, StringComparison.Ordinal);
            Assert.Equal(["1|1", "3|3"], _target.Column<string>("SELECT concat_ws('|', _lsn, id) FROM bronze ORDER BY _lsn"));
            Assert.Equal(2L, endpoint.EventsCommitted);
        }
    }

    [Fact]
    public async Task A_request_without_the_endpoints_bearer_token_gets_401_and_writes_nothing()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync("s3cret");
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage missing = await PostAsync(endpoint, Update);
            HttpResponseMessage refused = await PostAsync(endpoint, Update, "s3cret-not");
            string answer = await refused.Content.ReadAsStringAsync();
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (missing.StatusCode, refused.StatusCode));
            Assert.Equal("Bearer", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("{\"error\":\"this endpoint needs 'Authorization: Bearer <token>' with its token; nothing was written\"}", answer);
            Assert.False(Directory.Exists(_bronze.Path));
        }
    }

    [Fact]
    public async Task A_request_with_the_endpoints_bearer_token_is_committed()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync("s3cret");
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage response = await PostAsync(endpoint, Update, "s3cret");
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        }
    }

    [Fact]
    public async Task A_token_written_as_an_environment_reference_is_the_variables_value()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync("${CDC_TOKEN}", environment: name => name == "CDC_TOKEN" ? "t0k" : null);
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage literal = await PostAsync(endpoint, Update, "${CDC_TOKEN}");
            HttpResponseMessage resolved = await PostAsync(endpoint, Update, "t0k");
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK), (literal.StatusCode, resolved.StatusCode));
        }
    }

    [Fact]
    public void An_endpoint_whose_token_variable_is_not_set_refuses_to_start_naming_it()
    {
        using var endpoint = new DebeziumEndpoint(_target.Connection, _bronze.Sink("orders_cdc"), new Uri($"http://127.0.0.1:{ApiServer.FreePort()}/"), bearerToken: "${CDC_TOKEN}", environment: _ => null);

        MedallionException error = Assert.Throws<MedallionException>(endpoint.Start);

        Assert.Equal(ErrorCode.SourceSecretMissing, error.Code);
        Assert.Equal("Source 'orders_cdc': 'auth.token' refers to the environment variable 'CDC_TOKEN', which is not set.", error.Message.Split('\n')[0]);
    }

    [Fact]
    public async Task A_refused_request_is_logged_without_the_token_it_carried()
    {
        var log = new RecordingLog();
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync("s3cret", log);
        using (endpoint)
        using (stop)
        {
            using HttpResponseMessage refused = await PostAsync(endpoint, Update, "guessed-s3cret");
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            string line = Assert.Single(log.Lines);
            Assert.Equal($"Warning: Debezium endpoint {endpoint.Address}: refused a request: this endpoint needs 'Authorization: Bearer <token>' with its token; nothing was written", line);
        }
    }

    [Fact]
    public void An_endpoint_without_a_token_refuses_to_listen_where_other_machines_reach_it()
    {
        using var endpoint = new DebeziumEndpoint(_target.Connection, _bronze.Sink("orders_cdc"), new Uri($"http://192.0.2.10:{ApiServer.FreePort()}/"));

        MedallionException error = Assert.Throws<MedallionException>(endpoint.Start);

        Assert.Equal(ErrorCode.SourceSecretMissing, error.Code);
        Assert.Contains("auth: {type: bearer", error.Message, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, string Answer)> PostRawAsync(DebeziumEndpoint endpoint, string body, string? contentType, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Address) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using HttpResponseMessage response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("text/plain", "the body is declared 'text/plain', not JSON")]
    [InlineData("text/plain; charset=utf-8", "the body is declared 'text/plain', not JSON")]
    [InlineData("application/x-www-form-urlencoded", "the body is declared 'application/x-www-form-urlencoded', not JSON")]
    [InlineData("multipart/form-data; boundary=x", "the body is declared 'multipart/form-data', not JSON")]
    [InlineData("application/json; charset=iso-8859-1", "the body is declared in charset 'iso-8859-1', but JSON is read as UTF-8")]
    [InlineData(null, "the request has no Content-Type")]
    public async Task A_body_not_declared_json_gets_415_and_writes_nothing(string? contentType, string problem)
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage first = await PostAsync(endpoint, Update);
            (HttpStatusCode status, string answer) = await PostRawAsync(endpoint, Delete, contentType);
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.UnsupportedMediaType), (first.StatusCode, status));
            Assert.Equal($"{{\"error\":\"{problem}; send the events with 'Content-Type: application/json'; nothing was written\"}}", answer);
            Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
            Assert.Equal(1L, endpoint.EventsCommitted);
        }
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    [InlineData("application/cloudevents+json")]
    public async Task A_body_declared_json_is_committed(string contentType)
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            (HttpStatusCode status, string answer) = await PostRawAsync(endpoint, Update, contentType);
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.OK, "{\"accepted\":1,\"version\":0}"), (status, answer));
            Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        }
    }

    [Fact]
    public async Task A_request_from_a_web_page_gets_403_and_writes_nothing_even_as_json()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            HttpResponseMessage first = await PostAsync(endpoint, Update);
            (HttpStatusCode status, string answer) = await PostRawAsync(endpoint, Delete, "application/json", origin: "https://evil.example");
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Forbidden), (first.StatusCode, status));
            Assert.Equal("{\"error\":\"requests from web pages are refused (this one carries 'Origin: https://evil.example'), so no site open in a browser can write to bronze; nothing was written\"}", answer);
            Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
            Assert.Equal(1L, endpoint.EventsCommitted);
        }
    }

    [Fact]
    public async Task A_text_plain_post_from_a_web_page_without_a_token_writes_nothing()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            // What a page's fetch(..., {mode: 'no-cors', body}) sends: no preflight, so only the endpoint can say no.
            (HttpStatusCode status, _) = await PostRawAsync(endpoint, Update, "text/plain;charset=UTF-8", origin: "null");
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.False(Directory.Exists(_bronze.Path));
            Assert.Equal(0L, endpoint.EventsCommitted);
        }
    }

    [Fact]
    public async Task A_slow_sender_does_not_hold_up_the_requests_behind_it()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            var release = new TaskCompletionSource();
            var trickle = new TrickleContent($"[{Update}", "]", release.Task);
            trickle.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            Task<HttpResponseMessage> slow = _client.PostAsync(endpoint.Address, trickle);
            await Task.Delay(200);
            HttpResponseMessage fast = await PostAsync(endpoint, Delete).WaitAsync(TimeSpan.FromSeconds(30));
            bool slowStillSending = !slow.IsCompleted;
            release.SetResult();
            HttpResponseMessage late = await slow;
            await stop.CancelAsync();
            await running;

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, true), (fast.StatusCode, late.StatusCode, slowStillSending));
            Assert.Equal(1L, (await _bronze.SnapshotAsync()).Version);
        }
    }

    [Fact]
    public async Task Every_event_acknowledged_to_concurrent_senders_is_in_bronze_exactly_once()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            // Fewer than ten commits: the test's bronze reader has no Parquet reader for a checkpoint.
            const int Senders = 4, Requests = 2, PerRequest = 25;
            HttpResponseMessage[][] answers = await Task.WhenAll(Enumerable.Range(0, Senders).Select(async sender =>
            {
                var sent = new List<HttpResponseMessage>();
                for (int request = 0; request < Requests; request++)
                {
                    IEnumerable<string> events = Enumerable.Range(0, PerRequest).Select(i =>
                        $$$"""{"op":"c","after":{"id":{{{(((sender * Requests) + request) * PerRequest) + i}}},"status":"new"},"source":{"lsn":{{{(sender * 1000) + (request * PerRequest) + i}}},"txId":1,"ts_ms":1767261600000}}""");
                    sent.Add(await PostAsync(endpoint, "[" + string.Join(",", events) + "]"));
                }

                return sent.ToArray();
            }));
            await stop.CancelAsync();
            await running;
            await _bronze.ViewAsync();

            Assert.All(answers.SelectMany(a => a), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            const long Events = Senders * Requests * PerRequest;
            Assert.Equal((Events, Events), (_target.Column<long>("SELECT count(*) FROM bronze").Single(), _target.Column<long>("SELECT count(DISTINCT id) FROM bronze").Single()));
        }
    }

    /// <summary>Headers that promise a body of 1,000 bytes, and its first byte.</summary>
    private const string HeadersAndOneBodyByte = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[";

    /// <summary>Connects a raw socket and sends <paramref name="text"/>, then nothing more.</summary>
    private static async Task<Socket> StallAsync(DebeziumEndpoint endpoint, string text)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, endpoint.Address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(text));
        return socket;
    }

    /// <summary>Waits until the server closes the socket (its read ends or fails), for at most a minute.</summary>
    private static async Task WaitForCloseAsync(Socket socket)
    {
        byte[] buffer = new byte[1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset by the server: closed as well.
        }
    }

    /// <summary>Waits until the endpoint has <paramref name="count"/> requests open, for at most a minute.</summary>
    private static async Task WaitForOpenRequestsAsync(DebeziumEndpoint endpoint, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (endpoint.OpenRequests != count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(count, endpoint.OpenRequests);
    }

    [Fact]
    public async Task Four_senders_that_stall_after_one_body_byte_do_not_keep_a_real_sender_out()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            Socket[] stalled = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => StallAsync(endpoint, HeadersAndOneBodyByte)));
            Socket[] halfHeaders = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => StallAsync(endpoint, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")));
            await WaitForOpenRequestsAsync(endpoint, 4);

            using HttpResponseMessage real = await PostAsync(endpoint, Delete).WaitAsync(TimeSpan.FromMinutes(1));
            bool stalledStillOpen = stalled.All(s => !s.Poll(0, SelectMode.SelectRead));
            await stop.CancelAsync();
            await running;
            foreach (Socket socket in stalled.Concat(halfHeaders))
            {
                socket.Dispose();
            }

            Assert.Equal((HttpStatusCode.OK, true), (real.StatusCode, stalledStillOpen));
            Assert.Equal(1L, endpoint.EventsCommitted);
        }
    }

    [Fact]
    public async Task A_sender_that_stalls_mid_body_is_cut_off_and_nothing_of_it_is_written()
    {
        var log = new RecordingLog();
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync(log: log);
        using (endpoint)
        using (stop)
        {
            using Socket stalled = await StallAsync(endpoint, HeadersAndOneBodyByte);
            var clock = System.Diagnostics.Stopwatch.StartNew();

            await WaitForCloseAsync(stalled);
            TimeSpan held = clock.Elapsed;
            await WaitForOpenRequestsAsync(endpoint, 0);
            await stop.CancelAsync();
            await running;

            Assert.InRange(held, DebeziumEndpoint.BodyGrace - TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
            Assert.Equal(0L, endpoint.EventsCommitted);
            Assert.Contains(log.Lines, m => m.Contains($"a body that arrived slower than {DebeziumEndpoint.MinBodyBytesPerSecond} bytes/s", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_request_beyond_the_open_requests_of_one_address_is_answered_429_at_once()
    {
        (DebeziumEndpoint endpoint, Task running, CancellationTokenSource stop) = await StartAsync();
        using (endpoint)
        using (stop)
        {
            Socket[] stalled = await Task.WhenAll(Enumerable.Range(0, DebeziumEndpoint.MaxOpenRequestsPerAddress).Select(_ => StallAsync(endpoint, HeadersAndOneBodyByte)));
            await WaitForOpenRequestsAsync(endpoint, DebeziumEndpoint.MaxOpenRequestsPerAddress);

            using HttpResponseMessage refused = await PostAsync(endpoint, Delete).WaitAsync(TimeSpan.FromMinutes(1));
            string answer = await refused.Content.ReadAsStringAsync();
            foreach (Socket socket in stalled)
            {
                socket.Dispose();
            }

            await stop.CancelAsync();
            await running;

            Assert.Equal(((HttpStatusCode)429, "1"), (refused.StatusCode, refused.Headers.RetryAfter?.ToString()));
            Assert.Contains($"{DebeziumEndpoint.MaxOpenRequestsPerAddress} requests from 127.0.0.1 are open already", answer, StringComparison.Ordinal);
            Assert.Equal(0L, endpoint.EventsCommitted);
        }
    }

    /// <summary>A request body that sends its first part, then waits for a signal before the rest.</summary>
    private sealed class TrickleContent(string first, string rest, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(first));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(Encoding.UTF8.GetBytes(rest));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
