using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Net.Http.Headers;

namespace Medallion.Server.Http;

/// <summary>
/// <c>GET /api/runs/{id}/logs/stream</c>: a run's log lines as server-sent events. The stored lines come first, then
/// new ones as the scheduler writes them; each event's <c>id</c> is the line's sequence number, so a client that
/// reconnects with <c>Last-Event-ID</c> resumes after the last line it saw. When the run reaches a final state the
/// stream sends an <c>end</c> event with that state and closes.
/// </summary>
internal static class RunLogStream
{
    /// <summary>The longest wait for a line before the catalog is read again (lines written by another process).</summary>
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle stream sends a comment, so proxies and load balancers keep the connection.</summary>
    private static readonly TimeSpan s_keepAlive = TimeSpan.FromSeconds(15);

    private const int Batch = 500;

    /// <summary>The lines as the signed-in user may see them (<see cref="Platform.Access.ReaderView.Show(RunLogLine, Platform.Access.RunTables)"/>), the run's steps read as they are now.</summary>
    private static async Task<List<RunLogLine>> ShownAsync(ServerContext server, HttpContext http, string id, List<RunLogLine> lines, CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            if (lakehouse.Reader.SeesEverything)
            {
                return lines;
            }

            Platform.Access.RunTables tables = await lakehouse.GetRunTablesAsync(id, cancellationToken).ConfigureAwait(false);
            return [.. lines.Select(line => lakehouse.Reader.Show(line, tables))];
        }
    }

    private static async Task<RunRecord> ShownAsync(ServerContext server, HttpContext http, RunRecord run, CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return (await lakehouse.ShowRunsAsync([run], cancellationToken).ConfigureAwait(false))[0];
        }
    }

    public static async Task StreamAsync(ServerContext server, HttpContext http, string id, long? after, CancellationToken cancellationToken)
    {
        if (await server.Catalog.Runs.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            await ApiProblem.WriteAsync(http, ErrorCode.CatalogObjectNotFound, ApiEndpoints.NoRun(id)).ConfigureAwait(false);
            return;
        }

        long sequence = after ?? 0;
        if (http.Request.Headers["Last-Event-ID"] is [{ } lastEventId] && !string.IsNullOrEmpty(lastEventId))
        {
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out sequence))
            {
                await ApiProblem.WriteAsync(http, ErrorCode.ApiRequestInvalid, $"Last-Event-ID '{lastEventId}' is not a log line number").ConfigureAwait(false);
                return;
            }
        }

        // A stopping server ends its streams rather than waiting for their clients.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        cancellationToken = linked.Token;
        HttpResponse response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers[HeaderNames.CacheControl] = "no-cache";
        // Proxies that buffer (nginx) would hold the lines back until the run ends.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset lastWrite = DateTimeOffset.UtcNow;
        try
        {
            while (true)
            {
                // Taken before reading: a line written while we read wakes the next wait at once.
                Task written = server.Scheduler.LogWritten;
                List<RunLogLine> lines = await server.Catalog.Runs.GetRunLogAsync(id, sequence, Batch, cancellationToken).ConfigureAwait(false);
                if (lines.Count > 0)
                {
                    sequence = await WriteLinesAsync(response, await ShownAsync(server, http, id, lines, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    lastWrite = DateTimeOffset.UtcNow;
                    continue;
                }

                RunRecord run = (await server.Catalog.Runs.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
                if (run.Status is not (RunStatus.Queued or RunStatus.Running))
                {
                    // Lines written between the read above and the final state (by another process) are sent before the end.
                    List<RunLogLine> last = await server.Catalog.Runs.GetRunLogAsync(id, sequence, int.MaxValue, cancellationToken).ConfigureAwait(false);
                    if (last.Count > 0)
                    {
                        await WriteLinesAsync(response, await ShownAsync(server, http, id, last, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    }

                    string? error = (await ShownAsync(server, http, run, cancellationToken).ConfigureAwait(false)).Error;
                    string end = JsonSerializer.Serialize(new RunLogEnd(run.Id, run.Status, error), ApiJson.Options);
                    await response.WriteAsync($"event: end\ndata: {end}\n\n", cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                await Task.WhenAny(written, Task.Delay(s_poll, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTimeOffset.UtcNow - lastWrite >= s_keepAlive)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    lastWrite = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away, or the server stops: the client reconnects with Last-Event-ID.
        }
    }

    private static async Task<long> WriteLinesAsync(HttpResponse response, List<RunLogLine> lines, CancellationToken cancellationToken)
    {
        foreach (RunLogLine line in lines)
        {
            // JSON on one line: a message with line breaks stays one data field.
            string data = JsonSerializer.Serialize(line, ApiJson.Options);
            await response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"id: {line.Sequence}\nevent: log\ndata: {data}\n\n"), cancellationToken).ConfigureAwait(false);
        }

        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        return lines[^1].Sequence;
    }
}

/// <summary>The last event of a run's log stream: the run reached a final state.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Status">Its final state.</param>
/// <param name="Error">Why it failed or was cancelled; null when it succeeded.</param>
public sealed record RunLogEnd(string RunId, RunStatus Status, string? Error);
