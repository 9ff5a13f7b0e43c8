using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Medallion.Catalog;

namespace Medallion.Server.Tests;

/// <summary><c>GET /api/runs/{id}/logs/stream</c> read by a real HttpClient while the run goes on.</summary>
public sealed class RunLogStreamTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_run_streamed_from_its_start_sends_every_line_in_order_then_the_end()
    {
        RunRecord run = await _served.Server.Scheduler.TriggerAsync("nightly");

        await using EventStream stream = await EventStream.OpenAsync(_served, run.Id, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        List<ServerSentEvent> events = await stream.ReadUntilEndAsync();

        List<RunLogLine> stored = await _served.Catalog.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(stored.Select(l => l.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.SkipLast(1).Select(e => e.Id));
        Assert.Equal(stored.Select(l => l.Message), events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("message").GetString()));
        Assert.All(events.SkipLast(1), e => Assert.Equal("log", e.Event));
        Assert.Equal("run succeeded", stored[^1].Message);
        ServerSentEvent end = events[^1];
        Assert.Equal(("end", (string?)null), (end.Event, end.Id));
        Assert.Equal($$"""{"run_id":"{{run.Id}}","status":"succeeded","error":null}""", end.Data);
    }

    [Fact]
    public async Task Lines_written_while_the_client_reads_arrive_on_the_open_stream()
    {
        RunRecord run = await QueueOutsideRunAsync();
        await _served.Catalog.Runs.AppendRunLogAsync(run.Id, null, "info", "first");
        await using EventStream stream = await EventStream.OpenAsync(_served, run.Id, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        ServerSentEvent first = await stream.ReadAsync();

        await _served.Catalog.Runs.AppendRunLogAsync(run.Id, TableName.Parse("silver.orders"), "warning", "second\nwith a line break");
        ServerSentEvent second = await stream.ReadAsync();
        await _served.Catalog.Runs.FinishRunAsync(run.Id, RunStatus.Failed, "it broke");
        ServerSentEvent end = await stream.ReadAsync();

        Assert.Equal(("1", "first"), (first.Id, JsonDocument.Parse(first.Data).RootElement.GetProperty("message").GetString()));
        JsonElement line = JsonDocument.Parse(second.Data).RootElement;
        Assert.Equal(("2", "second\nwith a line break", "warning", """{"namespace":"silver","name":"orders"}"""), (second.Id, line.GetProperty("message").GetString(), line.GetProperty("level").GetString(), line.GetProperty("model").GetRawText()));
        Assert.Equal($$"""{"run_id":"{{run.Id}}","status":"failed","error":"it broke"}""", end.Data);
        Assert.Null(await stream.ReadLineAsync());
    }

    [Fact]
    public async Task A_client_that_reconnects_with_last_event_id_gets_only_the_lines_after_it()
    {
        RunRecord run = await QueueOutsideRunAsync();
        foreach (string message in new[] { "one", "two", "three" })
        {
            await _served.Catalog.Runs.AppendRunLogAsync(run.Id, null, "info", message);
        }

        await _served.Catalog.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded);

        await using EventStream stream = await EventStream.OpenAsync(_served, run.Id, ServedProject.Basic("vic", ServedProject.ViewerPassword), lastEventId: "2");
        List<ServerSentEvent> events = await stream.ReadUntilEndAsync();

        Assert.Equal(["3", null], events.Select(e => e.Id));
        Assert.Equal("three", JsonDocument.Parse(events[0].Data).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Streaming_a_run_that_does_not_exist_is_404()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs/nope/logs/stream", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(
            (HttpStatusCode.NotFound, "MDL6903", "Catalog object not found", "there is no run nope\nHelp: medallion runs lists them (GET /api/runs)."),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task A_last_event_id_that_is_not_a_number_is_400()
    {
        RunRecord run = await QueueOutsideRunAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run.Id}/logs/stream") { Headers = { Authorization = ServedProject.Basic("vic", ServedProject.ViewerPassword) } };
        request.Headers.Add("Last-Event-ID", "abc");

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal(
            (HttpStatusCode.BadRequest, "MDL9505", "API request invalid", "Last-Event-ID 'abc' is not a log line number"),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task Streaming_without_credentials_is_401()
    {
        RunRecord run = await QueueOutsideRunAsync();

        using HttpResponseMessage response = await _served.GetAsync($"/api/runs/{run.Id}/logs/stream", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>A run recorded by another process (as a CLI would): the stream sees its lines by reading the catalog.</summary>
    private async Task<RunRecord> QueueOutsideRunAsync()
    {
        RunRecord run = (await _served.Catalog.Runs.TryQueueRunAsync(new RunStart("outside", RunTrigger.Api, null, null, null, "another-process")))!;
        await _served.Catalog.Runs.StartAttemptAsync(run.Id);
        return run;
    }

    private sealed record ServerSentEvent(string? Id, string? Event, string Data);

    /// <summary>Reads <c>text/event-stream</c> as a browser's EventSource does (id, event and data fields, blank line ends an event).</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

        private EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<EventStream> OpenAsync(ServedProject served, string runId, AuthenticationHeaderValue authorization, string? lastEventId = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/logs/stream") { Headers = { Authorization = authorization } };
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            HttpResponseMessage response = await served.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        public async Task<string?> ReadLineAsync() => await _reader.ReadLineAsync(_timeout.Token);

        public async Task<ServerSentEvent> ReadAsync()
        {
            string? id = null;
            string? name = null;
            var data = new List<string>();
            while (await ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        return new ServerSentEvent(id, name, string.Join('\n', data));
                    }

                    continue;
                }

                if (line.StartsWith(':'))
                {
                    continue;
                }

                int colon = line.IndexOf(':', StringComparison.Ordinal);
                string field = line[..colon];
                string value = line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id": id = value; break;
                    case "event": name = value; break;
                    case "data": data.Add(value); break;
                }
            }

            throw new EndOfStreamException("the stream ended in the middle of an event");
        }

        public async Task<List<ServerSentEvent>> ReadUntilEndAsync()
        {
            var events = new List<ServerSentEvent>();
            do
            {
                events.Add(await ReadAsync());
            }
            while (events[^1].Event != "end");

            return events;
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            _timeout.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
