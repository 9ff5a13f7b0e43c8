using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// STS as the server reaches it in the tests: moto's, behind a loopback relay that keeps each request's form (Action,
/// RoleArn, Policy, ...), since moto issues what it is asked for without enforcing session policies.
/// </summary>
public sealed class StsRecorder : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _moto = new();

    private StsRecorder(WebApplication app) => _app = app;

    /// <summary>Each request's form parameters, in the order they came.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Requests { get; } = new();

    /// <summary>Where the relay listens.</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<StsRecorder> StartAsync(Uri moto)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        var recorder = new StsRecorder(app);
        app.Run(context => recorder.RelayAsync(context, moto));
        await app.StartAsync();
        return recorder;
    }

    private async Task RelayAsync(HttpContext context, Uri moto)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        Requests.Enqueue(QueryHelpers.ParseQuery(System.Text.Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal));
        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(moto, context.Request.Path + context.Request.QueryString)) { Content = new ByteArrayContent(body) };
        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in context.Request.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                forward.Content.Headers.TryAddWithoutValidation(name, values.ToString());
            }
            else if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase))
            {
                forward.Headers.TryAddWithoutValidation(name, values.ToString());
            }
        }

        using HttpResponseMessage answer = await _moto.SendAsync(forward);
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await answer.Content.CopyToAsync(context.Response.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _moto.Dispose();
    }
}
