using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Medallion.Server.Http;

namespace Medallion.Server;

/// <summary>
/// The REST API of the server running a project on this machine, as the CLI's <c>jobs</c>, <c>trigger</c>,
/// <c>cancel</c>, <c>rerun</c>, <c>backfill</c> and <c>backfills</c> call it: found through the project's runtime file and
/// authenticated with the token the server wrote there.
/// </summary>
public sealed class ServerClient : IDisposable
{
    /// <summary>How the server writes an error it raised with a code (<c>MDL6903: The project has no job ...</c>).</summary>

    private readonly HttpClient _http;
    private readonly ServerRuntimeFile _runtime;
    private readonly string _projectDirectory;

    private ServerClient(ServerRuntimeFile runtime, string projectDirectory)
    {
        _runtime = runtime;
        _projectDirectory = projectDirectory;
        _http = new HttpClient { BaseAddress = runtime.Url, Timeout = TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", runtime.Token);
    }

    /// <summary>The server's base address.</summary>
    public Uri Address => _runtime.Url;

    /// <summary>A client of the server running <paramref name="projectDirectory"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ServerNotRunning"/> when no server has written its runtime file.</exception>
    public static async Task<ServerClient> ConnectAsync(string projectDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectDirectory);
        ServerRuntimeFile runtime = await ServerRuntimeFile.ReadAsync(projectDirectory, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.ServerNotRunning,
                $"No server is running for the project in {projectDirectory} (there is no {ServerRuntimeFile.PathFor(projectDirectory)}).\nHelp: start one with: medallion server --project {projectDirectory}");
        return new ServerClient(runtime, projectDirectory);
    }

    /// <summary>GETs <paramref name="path"/> (relative to the server's base address) and reads the answer as <typeparamref name="T"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ServerNotRunning"/> when nothing answers;
    /// <see cref="ErrorCode.ServerRequestFailed"/> with the server's message when it refuses.</exception>
    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>POSTs <paramref name="body"/> as JSON to <paramref name="path"/> and reads the answer as <typeparamref name="T"/>.</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: ApiJson.Options) }, cancellationToken);

    /// <summary>The project's jobs with their pause state and next fire times (<c>GET /api/jobs</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<IReadOnlyList<JobView>> GetJobsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<JobView>>("api/jobs", cancellationToken);

    /// <summary>One job (<c>GET /api/jobs/{job}</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>; an unknown job is refused with the server's suggestion.</exception>
    public Task<JobView> GetJobAsync(string job, CancellationToken cancellationToken = default) =>
        GetAsync<JobView>("api/jobs/" + Uri.EscapeDataString(job), cancellationToken);

    /// <summary>The newest runs of a job, newest first (<c>GET /api/runs?job=</c>); <paramref name="cursor"/> pages on.</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<RunPage> GetRunsAsync(string job, int limit, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<RunPage>(
            $"api/runs?job={Uri.EscapeDataString(job)}&limit={limit.ToString(CultureInfo.InvariantCulture)}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)),
            cancellationToken);

    /// <summary>Queues a run of <paramref name="job"/> now, with variables for its model SQL (<c>POST /api/jobs/{job}/trigger</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<RunRecord> TriggerAsync(string job, IReadOnlyDictionary<string, string>? variables, CancellationToken cancellationToken = default) =>
        PostAsync<RunRecord>($"api/jobs/{Uri.EscapeDataString(job)}/trigger", new TriggerRequest(variables), cancellationToken);

    /// <summary>Queues a run of a selection of tables, belonging to no job, with variables for its model SQL (<c>POST /api/runs</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>; a selection that matches no table answers <see cref="ErrorCode.ModelSelectionInvalid"/>.</exception>
    public Task<RunRecord> RunSelectionAsync(string selection, IReadOnlyDictionary<string, string>? variables, CancellationToken cancellationToken = default) =>
        PostAsync<RunRecord>("api/runs", new RunSelectionRequest(selection, variables), cancellationToken);

    /// <summary>Cancels a queued or running run (<c>POST /api/runs/{id}/cancel</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>; a run that is not under way is refused (404).</exception>
    public Task<CancelResult> CancelRunAsync(string runId, CancellationToken cancellationToken = default) =>
        PostAsync<CancelResult>($"api/runs/{Uri.EscapeDataString(runId)}/cancel", null, cancellationToken);

    /// <summary>Queues a run of only the failed and skipped models of a finished run (<c>POST /api/runs/{id}/rerun</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<RunRecord> RerunFromFailureAsync(string runId, CancellationToken cancellationToken = default) =>
        PostAsync<RunRecord>($"api/runs/{Uri.EscapeDataString(runId)}/rerun", null, cancellationToken);

    /// <summary>Queues a run of every model a finished run selected, with its interval and variables (<c>POST /api/runs/{id}/retry</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<RunRecord> RetryRunAsync(string runId, CancellationToken cancellationToken = default) =>
        PostAsync<RunRecord>($"api/runs/{Uri.EscapeDataString(runId)}/retry", null, cancellationToken);

    /// <summary>Backfills a job over a range, or (dry run) lists the range's intervals (<c>POST /api/jobs/{job}/backfill</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<BackfillView> BackfillAsync(string job, BackfillRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<BackfillView>($"api/jobs/{Uri.EscapeDataString(job)}/backfill", request, cancellationToken);

    /// <summary>A backfill with its progress and runs (<c>GET /api/backfills/{id}</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>; an unknown id is refused with the server's message.</exception>
    public Task<BackfillDetail> GetBackfillAsync(string backfillId, CancellationToken cancellationToken = default) =>
        GetAsync<BackfillDetail>("api/backfills/" + Uri.EscapeDataString(backfillId), cancellationToken);

    /// <summary>The newest backfills, optionally of one job, with their progress (<c>GET /api/backfills</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<IReadOnlyList<BackfillDetail>> GetBackfillsAsync(string? job, int limit, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<BackfillDetail>>(
            $"api/backfills?limit={limit.ToString(CultureInfo.InvariantCulture)}" + (job is null ? string.Empty : "&job=" + Uri.EscapeDataString(job)), cancellationToken);

    /// <summary>Cancels a backfill: its queued intervals and its running runs (<c>POST /api/backfills/{id}/cancel</c>).</summary>
    /// <exception cref="MedallionException">As <see cref="GetAsync{T}"/>.</exception>
    public Task<BackfillDetail> CancelBackfillAsync(string backfillId, CancellationToken cancellationToken = default) =>
        PostAsync<BackfillDetail>($"api/backfills/{Uri.EscapeDataString(backfillId)}/cancel", null, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException exception) when (exception.InnerException is SocketException || exception.HttpRequestError == HttpRequestError.ConnectionError)
            {
                throw new MedallionException(ErrorCode.ServerNotRunning,
                    $"The server at {_runtime.Url} (process {_runtime.ProcessId}, started {_runtime.StartedAt:yyyy-MM-dd HH:mm:ss}Z) does not answer: {exception.Message}\nHelp: it may have been killed; start it again with medallion server.",
                    exception);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    (ErrorCode? code, string message) = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                    throw Refused(request, response.StatusCode, code, message);
                }

                return (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken).ConfigureAwait(false))!;
            }
        }
    }

    /// <summary>
    /// The server's refusal as the CLI shows it: an error of the server's work (a missing job or run, a backfill range
    /// without an interval) keeps its code, so the command exits as the error table says, and its message, which already
    /// says what to do; an authentication or role refusal, or an answer that is no problem of ours, says what to fix on
    /// this side.
    /// </summary>
    private MedallionException Refused(HttpRequestMessage request, HttpStatusCode status, ErrorCode? code, string message)
    {
        if (code is { } coded && coded is not (ErrorCode.ApiAuthenticationFailed or ErrorCode.ApiForbidden))
        {
            return new MedallionException(coded, message);
        }

        string help = status switch
        {
            HttpStatusCode.Unauthorized =>
                $"the token in {ServerRuntimeFile.PathFor(_projectDirectory)} is not the one the server at this address accepts (the file is stale or was written by another server); restart it with medallion server --project {_projectDirectory}.",
            HttpStatusCode.Forbidden => "this action needs the operator role: medallion user role <name> operator.",
            HttpStatusCode.NotFound => "list what exists with medallion jobs, or medallion runs.",
            HttpStatusCode.Conflict => "the job or run is not in a state that allows this now; check it with medallion runs and try again.",
            _ => "see the server's output for details.",
        };
        return new MedallionException(ErrorCode.ServerRequestFailed,
            $"The server at {_runtime.Url} refused {request.Method} {PathOf(request)} with {(int)status} {ReasonOf(status)}: {message.TrimEnd('.')}{(message.EndsWith('?') ? string.Empty : ".")}\nHelp: {help}");
    }

    /// <summary>The request's path: HttpClient made its address absolute when it sent it.</summary>
    private static string PathOf(HttpRequestMessage request) => request.RequestUri switch
    {
        { IsAbsoluteUri: true } uri => uri.PathAndQuery,
        { } relative => "/" + relative.OriginalString.TrimStart('/'),
        null => "/",
    };

    private static string ReasonOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.BadRequest => "Bad Request",
        _ => status.ToString(),
    };

    /// <summary>The code and detail of the server's problem details, or the body as it is when it is no problem.</summary>
    private static async Task<(ErrorCode? Code, string Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using JsonDocument problem = JsonDocument.Parse(text);
            if (problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("detail", out JsonElement detail) && detail.ValueKind == JsonValueKind.String)
            {
                return (problem.RootElement.TryGetProperty("code", out JsonElement code) && code.ValueKind == JsonValueKind.String ? ErrorCodes.Parse(code.GetString()) : null, detail.GetString()!);
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page, an empty body): shown as it came.
        }

        return (null, text.Length == 0 ? response.ReasonPhrase ?? "no reason given" : text);
    }
}
