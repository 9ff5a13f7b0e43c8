using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Server.Http;

namespace Medallion.Server;

/// <summary>
/// The REST API of the server running a project on this machine, as the CLI's <c>jobs</c>, <c>trigger</c>,
/// <c>cancel</c>, <c>rerun</c> and <c>backfill</c> call it: found through the project's runtime file and
/// authenticated with the token the server wrote there.
/// </summary>
public sealed class ServerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ServerRuntimeFile _runtime;

    private ServerClient(ServerRuntimeFile runtime)
    {
        _runtime = runtime;
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
        return new ServerClient(runtime);
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
                    string message = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                    throw new MedallionException(ErrorCode.ServerRequestFailed,
                        $"The server refused {request.Method} {request.RequestUri}: {message} (HTTP {(int)response.StatusCode}).");
                }

                return (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken).ConfigureAwait(false))!;
            }
        }
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<ApiError>(text, ApiJson.Options)?.Error ?? text;
        }
        catch (JsonException)
        {
            return text.Length == 0 ? response.ReasonPhrase ?? "no reason given" : text;
        }
    }
}
