using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Tests.Observability;

/// <summary>A span as an OTLP collector receives it.</summary>
public sealed record OtlpSpan(string TraceId, string SpanId, string? ParentSpanId, string Name, IReadOnlyDictionary<string, object> Attributes, int StatusCode, string? StatusMessage)
{
    /// <summary>OTLP's status codes.</summary>
    public const int Ok = 1, Error = 2;

    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);
}

/// <summary>
/// An OTLP/HTTP trace receiver on a free loopback port: it answers <c>POST /v1/traces</c> as a collector does and decodes
/// each protobuf <c>ExportTraceServiceRequest</c> into spans, so a test checks what an exporter really sent.
/// </summary>
/// <remarks>
/// Field numbers from opentelemetry-proto (collector/trace/v1 and trace/v1): ExportTraceServiceRequest.resource_spans 1;
/// ResourceSpans.scope_spans 2; ScopeSpans.spans 2; Span trace_id 1, span_id 2, parent_span_id 4, name 5, attributes 9,
/// status 15; Status message 2, code 3; KeyValue key 1, value 2; AnyValue string 1, bool 2, int 3, double 4.
/// </remarks>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();

    private OtlpReceiver(WebApplication web) => _web = web;

    /// <summary>The base URL to set as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Paths the exporter posted to, in order.</summary>
    public ConcurrentQueue<string> Paths { get; } = new();

    public IReadOnlyCollection<OtlpSpan> Spans => _spans;

    public static async Task<OtlpReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication web = builder.Build();
        var receiver = new OtlpReceiver(web);
        web.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            receiver.Paths.Enqueue(request.Path);
            if (request.ContentType != "application/x-protobuf")
            {
                return Results.StatusCode(415);
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            foreach (OtlpSpan span in Decode(body.ToArray()))
            {
                receiver._spans.Enqueue(span);
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        await web.StartAsync();
        receiver.Endpoint = new Uri(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>Waits until the spans that <paramref name="done"/> accepts have arrived, for at most 30 s.</summary>
    public async Task<List<OtlpSpan>> WaitForAsync(Func<IReadOnlyCollection<OtlpSpan>, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done(_spans) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        return [.. _spans];
    }

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();

    private static IEnumerable<OtlpSpan> Decode(byte[] request)
    {
        foreach (byte[] resourceSpans in Messages(request, 1))
        {
            foreach (byte[] scopeSpans in Messages(resourceSpans, 2))
            {
                foreach (byte[] span in Messages(scopeSpans, 2))
                {
                    yield return DecodeSpan(span);
                }
            }
        }
    }

    private static OtlpSpan DecodeSpan(byte[] span)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null, statusMessage = null;
        int statusCode = 0;
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4:
                    byte[] parentBytes = input.ReadBytes().ToByteArray();
                    parent = parentBytes.Length == 0 ? null : Convert.ToHexStringLower(parentBytes);
                    break;
                case 5: name = input.ReadString(); break;
                case 9:
                    (string key, object value) = DecodeAttribute(input.ReadBytes().ToByteArray());
                    attributes[key] = value;
                    break;
                case 15:
                    var status = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint statusTag;
                    while ((statusTag = status.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(statusTag))
                        {
                            case 2: statusMessage = status.ReadString(); break;
                            case 3: statusCode = status.ReadEnum(); break;
                            default: status.SkipLastField(); break;
                        }
                    }

                    break;
                default: input.SkipLastField(); break;
            }
        }

        return new OtlpSpan(traceId, spanId, parent, name, attributes, statusCode, statusMessage);
    }

    private static (string Key, object Value) DecodeAttribute(byte[] keyValue)
    {
        string key = "";
        object value = "";
        var input = new CodedInputStream(keyValue);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
            }
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                var any = new CodedInputStream(input.ReadBytes().ToByteArray());
                uint anyTag = any.ReadTag();
                value = WireFormat.GetTagFieldNumber(anyTag) switch
                {
                    1 => any.ReadString(),
                    2 => any.ReadBool(),
                    3 => any.ReadInt64(),
                    4 => any.ReadDouble(),
                    _ => "(unsupported value)",
                };
            }
            else
            {
                input.SkipLastField();
            }
        }

        return (key, value);
    }

    /// <summary>The embedded messages of field <paramref name="field"/> of a message.</summary>
    private static List<byte[]> Messages(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}
