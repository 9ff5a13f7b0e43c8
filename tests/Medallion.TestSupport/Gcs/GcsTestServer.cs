using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medallion.TestSupport;

/// <summary>
/// An in-process Google Cloud Storage server speaking the JSON API (v1) on a free loopback port, for tests: objects
/// insert (simple, multipart and resumable uploads), get (metadata and media, with ranges), list and delete, with
/// request preconditions, in memory. It is strict where GCS is strict (unknown query parameters, routes and methods,
/// malformed values are 400s in GCS's error shape) and records each such request in <see cref="Violations"/>, so a
/// test can assert that its client speaks the protocol; with <see cref="GcsTestServerOptions.ServiceAccountKey"/> it
/// also plays Google's OAuth2 token endpoint and its STS (downscoped tokens, held to their access boundary) and
/// demands a valid bearer token.
/// </summary>
/// <remarks>
/// Clients reach it as they reach a GCS emulator: <c>STORAGE_EMULATOR_HOST</c> = <see cref="EmulatorHost"/>, or a
/// base URI of <see cref="Endpoint"/> + <c>storage/v1/</c>. (With the former, Google.Cloud.Storage.V1 takes the bare
/// host as its base URI and sends metadata requests and downloads to <c>/b/...</c>, uploads to
/// <c>/upload/storage/v1/b/...</c>; the server answers the JSON API at both <c>/storage/v1/b/...</c> and
/// <c>/b/...</c>, as fake-gcs-server does.) Buckets exist once <see cref="CreateBucket"/> made them.
/// Only the live generation of an object is kept (a bucket without versioning). Each bucket's objects change under
/// its lock, and the preconditions of a write are checked under it when the write takes effect (for a resumable upload
/// also when it starts), so of concurrent create-only writers (<c>ifGenerationMatch=0</c>) exactly one wins.
/// </remarks>
public sealed partial class GcsTestServer : IAsyncDisposable
{
    private static readonly Lazy<Task<GcsTestServer>> s_shared = new(() => StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>JSON as GCS writes it: '&amp;', '+', quotes and the like as themselves, not as \u escapes.</summary>
    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _web;
    private readonly GcsTestServerOptions _options;
    private readonly ConcurrentDictionary<string, GcsBucket> _buckets = new(StringComparer.Ordinal);
    private readonly List<string> _requests = [];
    private readonly List<string> _violations = [];

    /// <summary>The last generation handed out: microseconds since the Unix epoch at start (what GCS generations are), then +1 per write.</summary>
    private long _generation = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;

    private GcsTestServer(WebApplication web, GcsTestServerOptions options)
    {
        _web = web;
        _options = options;
        if (options.ServiceAccountKey is { } key)
        {
            // A public-only copy: verifying never needs the private half, and this instance is ours to lock and dispose.
            _verifier = RSA.Create(key.ExportParameters(includePrivateParameters: false));
        }
    }

    /// <summary>The server's address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The value for <c>STORAGE_EMULATOR_HOST</c>: <c>http://127.0.0.1:PORT</c>.</summary>
    public string EmulatorHost => Endpoint.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// Every protocol violation seen so far (a request GCS would reject as malformed: the 400s this server answers), as
    /// <c>METHOD /path?query: what was wrong</c>, in arrival order; a fault of the server itself is recorded here too.
    /// </summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_violations)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>Every request received so far, as <c>METHOD /path?query</c> (the target as sent), in arrival order.</summary>
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

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<GcsTestServer> StartAsync(GcsTestServerOptions? options = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Resumable chunks and simple uploads may be large; GCS takes up to 5 TiB in one request.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        WebApplication web = builder.Build();
        var server = new GcsTestServer(web, options ?? new GcsTestServerOptions());
        ((IApplicationBuilder)web).Run(server.HandleAsync);
        await web.StartAsync();
        string address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>One server per test process with default options, started on first use and never disposed.</summary>
    public static Task<GcsTestServer> SharedAsync() => s_shared.Value;

    /// <summary>Creates bucket <paramref name="name"/> unless it exists.</summary>
    public void CreateBucket(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _buckets.GetOrAdd(name, n => new GcsBucket(n, DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// The names of the objects stored in <paramref name="bucket"/> that start with <paramref name="prefix"/>, in GCS's
    /// order (by UTF-8 bytes, which is ordinal for names without characters above U+FFFF); none for a missing bucket.
    /// </summary>
    public IReadOnlyList<string> ObjectNames(string bucket, string prefix = "")
    {
        if (!_buckets.TryGetValue(bucket, out GcsBucket? found))
        {
            return [];
        }

        lock (found.Gate)
        {
            return [.. found.Objects.Keys.Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];
        }
    }

    /// <summary>Stops the server; requests in flight are cut off.</summary>
    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        _verifier?.Dispose();
    }

    private async Task HandleAsync(HttpContext http)
    {
        string line = $"{http.Request.Method} {GcsCall.RawTarget(http)}";
        lock (_requests)
        {
            _requests.Add(line);
        }

        try
        {
            var call = new GcsCall(http);
            await RouteAsync(call);
        }
        catch (GcsError error)
        {
            if (error.Violation)
            {
                RecordViolation($"{line}: {error.Message}");
            }

            if (!http.Response.HasStarted)
            {
                await WriteErrorAsync(http, error);
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or IOException or BadHttpRequestException))
        {
            // A fault of this server, not of the client (those are the exceptions above: a client that went away).
            // Recorded with the violations so that a test sees it, and answered as GCS answers its own failures.
            RecordViolation($"{line}: internal error in the test server: {e}");
            if (!http.Response.HasStarted)
            {
                await WriteErrorAsync(http, new GcsError(500, "backendError", "Internal error in the GCS test server."));
            }
        }
    }

    private Task RouteAsync(GcsCall call)
    {
        string[] path = call.Segments;
        string method = call.Method;
        if (path is ["token"] && _options.ServiceAccountKey is not null)
        {
            return method == "POST" ? TokenAsync(call) : throw MethodNotAllowed(call, "the token endpoint");
        }

        if (path is ["v1", "token"] && _options.ServiceAccountKey is not null)
        {
            return method == "POST" ? ExchangeAsync(call) : throw MethodNotAllowed(call, "STS's token endpoint");
        }

        // Everything else is the JSON API: first the caller, then the route. The JSON API's resources are also served
        // at the root (/b/...), where Google's .NET client sends them when STORAGE_EMULATOR_HOST is its base URI.
        Authenticate(call);
        switch (path is ["b", ..] ? ["storage", "v1", .. path] : path)
        {
            case ["storage", "v1", "b", { Length: > 0 } bucket]:
                return method == "GET" ? GetBucketAsync(call, bucket) : throw MethodNotAllowed(call, "a bucket");
            case ["storage", "v1", "b", { Length: > 0 } bucket, "o"]:
                return method == "GET" ? ListAsync(call, bucket) : throw MethodNotAllowed(call, "the objects collection");
            case ["storage", "v1", "b", { Length: > 0 } bucket, "o", .. string[] name] when ObjectName(name) is { } objectName:
                return method switch
                {
                    "GET" => GetAsync(call, bucket, objectName, download: false),
                    "DELETE" => DeleteAsync(call, bucket, objectName),
                    _ => throw MethodNotAllowed(call, "an object"),
                };
            case ["download", "storage", "v1", "b", { Length: > 0 } bucket, "o", .. string[] name] when ObjectName(name) is { } objectName:
                return method == "GET" ? GetAsync(call, bucket, objectName, download: true) : throw MethodNotAllowed(call, "an object download");
            case ["upload", "storage", "v1", "b", { Length: > 0 } bucket, "o"]:
                return method switch
                {
                    "POST" => InsertAsync(call, bucket),
                    "PUT" => ResumeAsync(call, bucket),
                    "DELETE" => CancelUploadAsync(call, bucket),
                    _ => throw MethodNotAllowed(call, "the upload endpoint"),
                };
            default:
                throw GcsError.Invalid($"No such route: {method} /{string.Join('/', call.RawSegments)} (this server has objects insert, get, list and delete).");
        }
    }

    /// <summary>
    /// The object name in the one path segment after <c>/o/</c>; null when there is none. A name whose slashes came raw
    /// (several segments) is a violation: the JSON API wants the whole name percent-encoded (<c>a%2Fb</c>).
    /// </summary>
    private static string? ObjectName(string[] segments) => segments switch
    {
        [] or [""] => null,
        [string name] => name,
        _ => throw GcsError.Invalid($"The object name '{string.Join('/', segments)}' must be percent-encoded as one path segment ('/' as %2F)."),
    };

    private static GcsError MethodNotAllowed(GcsCall call, string what) => GcsError.Invalid($"Method {call.Method} is not supported on {what} ({call.Method} /{string.Join('/', call.RawSegments)}).");

    private GcsBucket Bucket(string name) => _buckets.TryGetValue(name, out GcsBucket? bucket) ? bucket : throw GcsError.NoSuchBucket();

    private long NextGeneration() => Interlocked.Increment(ref _generation);

    private Task GetBucketAsync(GcsCall call, string name)
    {
        call.Route = "buckets.get";
        call.Allow(["ifMetagenerationMatch", "ifMetagenerationNotMatch", "projection"]);
        call.EnumParam("projection", "full", "noAcl");
        GcsFieldSelector? fields = Fields(call);
        long? metagenerationMatch = call.LongParam("ifMetagenerationMatch");
        long? metagenerationNotMatch = call.LongParam("ifMetagenerationNotMatch");
        Authorize(call, "storage.buckets.get", name, null);
        GcsBucket bucket = Bucket(name);
        if ((metagenerationMatch is not null && metagenerationMatch != 1) || (metagenerationNotMatch is not null && metagenerationNotMatch == 1))
        {
            throw GcsError.PreconditionFailed();
        }

        var json = new JsonObject
        {
            ["kind"] = "storage#bucket",
            ["selfLink"] = $"{Endpoint}storage/v1/b/{bucket.Name}",
            ["id"] = bucket.Name,
            ["name"] = bucket.Name,
            ["projectNumber"] = "123456789012",
            ["metageneration"] = "1",
            ["location"] = "US",
            ["storageClass"] = "STANDARD",
            ["etag"] = "CAE=",
            ["timeCreated"] = GcsObject.Rfc3339(bucket.Created),
            ["updated"] = GcsObject.Rfc3339(bucket.Created),
            ["locationType"] = "multi-region",
        };
        return WriteJsonAsync(call.Http, 200, json, fields);
    }

    private async Task GetAsync(GcsCall call, string bucketName, string name, bool download)
    {
        call.Route = download ? "objects.get (download)" : "objects.get";
        call.Allow(["generation", "ifGenerationMatch", "ifGenerationNotMatch", "ifMetagenerationMatch", "ifMetagenerationNotMatch", "projection"], download ? ["media"] : ["json", "media"]);
        if (download && call.Param("alt") != "media")
        {
            throw GcsError.Invalid("A download URL (/download/storage/v1/...) needs alt=media.");
        }

        call.EnumParam("projection", "full", "noAcl");
        GcsFieldSelector? fields = Fields(call);
        long? generation = call.LongParam("generation");
        GcsPreconditions preconditions = call.Preconditions();
        bool media = call.Param("alt") == "media";
        (long First, long Last)? range = media ? ParseRange(call) : null;
        Authorize(call, "storage.objects.get", bucketName, name);
        GcsBucket bucket = Bucket(bucketName);
        GcsObject? found;
        lock (bucket.Gate)
        {
            found = bucket.Objects.GetValueOrDefault(name);
        }

        if (found is null || (generation is not null && generation != found.Generation))
        {
            throw GcsError.NoSuchObject(bucketName, name);
        }

        preconditions.CheckExisting(found, read: true);
        if (media)
        {
            await WriteMediaAsync(call.Http, found, range);
        }
        else
        {
            await WriteJsonAsync(call.Http, 200, found.ToJson(Endpoint), fields);
        }
    }

    private Task DeleteAsync(GcsCall call, string bucketName, string name)
    {
        call.Route = "objects.delete";
        call.Allow(["generation", "ifGenerationMatch", "ifGenerationNotMatch", "ifMetagenerationMatch", "ifMetagenerationNotMatch"]);
        Fields(call);
        long? generation = call.LongParam("generation");
        GcsPreconditions preconditions = call.Preconditions();
        Authorize(call, "storage.objects.delete", bucketName, name);
        GcsBucket bucket = Bucket(bucketName);
        lock (bucket.Gate)
        {
            GcsObject? found = bucket.Objects.GetValueOrDefault(name);
            if (found is null || (generation is not null && generation != found.Generation))
            {
                throw GcsError.NoSuchObject(bucketName, name);
            }

            preconditions.CheckExisting(found, read: false);
            bucket.Objects.Remove(name);
        }

        call.Http.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private Task ListAsync(GcsCall call, string bucketName)
    {
        call.Route = "objects.list";
        call.Allow(["delimiter", "endOffset", "includeTrailingDelimiter", "maxResults", "pageToken", "prefix", "projection", "startOffset", "versions", "matchGlob", "includeFoldersAsPrefixes"]);
        call.EnumParam("projection", "full", "noAcl");
        GcsFieldSelector? fields = Fields(call);
        var query = new ListQuery(
            call.Param("prefix") ?? "",
            call.Param("delimiter") is { Length: > 0 } delimiter ? delimiter : null,
            call.Param("startOffset") is { Length: > 0 } start ? start : null,
            call.Param("endOffset") is { Length: > 0 } end ? end : null,
            call.Param("matchGlob") is { Length: > 0 } pattern ? pattern : null,
            call.BoolParam("includeTrailingDelimiter"));
        // versions=true lists noncurrent generations too; with versioning off there are none, so both answers agree.
        call.BoolParam("versions");
        if (call.BoolParam("includeFoldersAsPrefixes"))
        {
            throw GcsError.Invalid("includeFoldersAsPrefixes is only for buckets with hierarchical namespace, which this server does not model.");
        }

        long maxResults = call.LongParam("maxResults") is { } max and > 0 ? Math.Min(max, 1000) : 1000;
        Regex? glob = query.Glob is null ? null : GlobRegex(query.Glob);
        string? after = null;
        bool afterIsPrefix = false;
        if (call.Param("pageToken") is { Length: > 0 } token)
        {
            (after, afterIsPrefix) = ReadPageToken(token, query);
        }

        Authorize(call, "storage.objects.list", bucketName, null);
        GcsBucket bucket = Bucket(bucketName);
        List<GcsObject> live;
        lock (bucket.Gate)
        {
            live = [.. bucket.Objects.Values];
        }

        var items = new JsonArray();
        var prefixes = new List<string>();
        int count = 0;
        string? lastPrefix = null;
        // The last entry of the page, where the next page starts: an item's name, or a prefix (which covers every name under it).
        string? lastEntry = null;
        bool lastEntryIsPrefix = false;
        string? next = null;
        foreach (GcsObject item in live)
        {
            string name = item.Name;
            if (!name.StartsWith(query.Prefix, StringComparison.Ordinal)
                || (query.StartOffset is not null && Utf8Order.Instance.Compare(name, query.StartOffset) < 0)
                || (query.EndOffset is not null && Utf8Order.Instance.Compare(name, query.EndOffset) >= 0)
                || (glob is not null && !glob.IsMatch(name)))
            {
                continue;
            }

            // Skip what earlier pages returned: names up to the token's, and all under it when it was a prefix.
            if (after is not null && (Utf8Order.Instance.Compare(name, after) <= 0 || (afterIsPrefix && name.StartsWith(after, StringComparison.Ordinal))))
            {
                continue;
            }

            string? prefix = null;
            if (query.Delimiter is not null)
            {
                int at = name.IndexOf(query.Delimiter, query.Prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                {
                    prefix = name[..(at + query.Delimiter.Length)];
                }
            }

            // With includeTrailingDelimiter a name that ends at its prefix's delimiter is an item as well.
            bool isItem = prefix is null || (query.IncludeTrailingDelimiter && name == prefix);
            bool isNewPrefix = prefix is not null && prefix != lastPrefix;
            if (!isItem && !isNewPrefix)
            {
                continue;
            }

            if (count >= maxResults)
            {
                // Something remains, so there is a next page (GCS gives no token on the last page).
                next = WritePageToken(query, lastEntry!, lastEntryIsPrefix);
                break;
            }

            if (isNewPrefix)
            {
                prefixes.Add(prefix!);
                lastPrefix = prefix;
                count++;
            }

            if (isItem)
            {
                items.Add(item.ToJson(Endpoint));
                count++;
            }

            lastEntry = prefix ?? name;
            lastEntryIsPrefix = prefix is not null;
        }

        var json = new JsonObject { ["kind"] = "storage#objects" };
        if (next is not null)
        {
            json["nextPageToken"] = next;
        }

        if (prefixes.Count > 0)
        {
            json["prefixes"] = new JsonArray([.. prefixes.Select(p => (JsonNode)p)]);
        }

        if (items.Count > 0)
        {
            json["items"] = items;
        }

        return WriteJsonAsync(call.Http, 200, json, fields);
    }

    /// <summary>The parameters that shape a listing; a page token is only good for the listing that made it.</summary>
    private sealed record ListQuery(string Prefix, string? Delimiter, string? StartOffset, string? EndOffset, string? Glob, bool IncludeTrailingDelimiter);

    private static string WritePageToken(ListQuery query, string after, bool afterIsPrefix)
    {
        var json = new JsonObject
        {
            ["p"] = query.Prefix,
            ["d"] = query.Delimiter,
            ["s"] = query.StartOffset,
            ["e"] = query.EndOffset,
            ["g"] = query.Glob,
            ["t"] = query.IncludeTrailingDelimiter,
            ["a"] = after,
            ["ap"] = afterIsPrefix,
        };
        return System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static (string After, bool AfterIsPrefix) ReadPageToken(string token, ListQuery query)
    {
        try
        {
            var json = (JsonObject)JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token))!;
            var made = new ListQuery((string)json["p"]!, (string?)json["d"], (string?)json["s"], (string?)json["e"], (string?)json["g"], (bool)json["t"]!);
            if (made == query)
            {
                return ((string)json["a"]!, (bool)json["ap"]!);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidCastException or InvalidOperationException or NullReferenceException)
        {
        }

        throw GcsError.Invalid($"Invalid pageToken '{token}': not a token of a listing with these parameters.");
    }

    /// <summary>
    /// <c>matchGlob</c> as a regular expression: <c>**</c> any characters, <c>*</c> any but <c>/</c>, <c>?</c> one
    /// character but <c>/</c>, <c>[...]</c> a class (<c>[!...]</c> negated), <c>{a,b}</c> alternatives.
    /// </summary>
    private static Regex GlobRegex(string glob)
    {
        var pattern = new System.Text.StringBuilder("^");
        int braces = 0;
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    pattern.Append(".*");
                    i++;
                    break;
                case '*':
                    pattern.Append("[^/]*");
                    break;
                case '?':
                    pattern.Append("[^/]");
                    break;
                case '[':
                    int close = glob.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        throw GcsError.Invalid($"Invalid matchGlob '{glob}': unclosed '['.");
                    }

                    string set = glob[(i + 1)..close];
                    pattern.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = close;
                    break;
                case '{':
                    braces++;
                    pattern.Append("(?:");
                    break;
                case '}' when braces > 0:
                    braces--;
                    pattern.Append(')');
                    break;
                case ',' when braces > 0:
                    pattern.Append('|');
                    break;
                case '\\' when i + 1 < glob.Length:
                    pattern.Append(Regex.Escape(glob[++i].ToString()));
                    break;
                default:
                    pattern.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (braces != 0)
        {
            throw GcsError.Invalid($"Invalid matchGlob '{glob}': unbalanced '{{'.");
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    private static GcsFieldSelector? Fields(GcsCall call) => call.Param("fields") is { Length: > 0 } text ? GcsFieldSelector.Parse(text) : null;

    /// <summary>
    /// The <c>Range</c> header of a media download as (first, last) byte; null when absent. One range of the forms
    /// <c>bytes=a-b</c>, <c>bytes=a-</c>, <c>bytes=-n</c>; anything else is a violation.
    /// </summary>
    private static (long First, long Last)? ParseRange(GcsCall call)
    {
        string? header = call.Http.Request.Headers.Range;
        if (header is null)
        {
            return null;
        }

        Match match = RangePattern().Match(header);
        if (!match.Success || (match.Groups[1].Length == 0 && match.Groups[2].Length == 0))
        {
            throw GcsError.Invalid($"Malformed Range header '{header}' (one range: bytes=a-b, bytes=a- or bytes=-n).");
        }

        long first = match.Groups[1].Length == 0 ? -1 : long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        long last = match.Groups[2].Length == 0 ? long.MaxValue : long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (first >= 0 && last < first)
        {
            throw GcsError.Invalid($"Malformed Range header '{header}': the last byte comes before the first.");
        }

        // A suffix range (bytes=-n) is marked by first = -1 and carries n in Last.
        return (first, last);
    }

    [GeneratedRegex(@"^bytes=(\d{0,18})-(\d{0,18})$", RegexOptions.CultureInvariant)]
    private static partial Regex RangePattern();

    private static async Task WriteMediaAsync(HttpContext http, GcsObject found, (long First, long Last)? range)
    {
        HttpResponse response = http.Response;
        long size = found.Data.Length;
        long first = 0, last = size - 1;
        if (range is { } requested)
        {
            if (requested.First < 0)
            {
                first = Math.Max(0, size - requested.Last);
            }
            else
            {
                first = requested.First;
                last = Math.Min(requested.Last, size - 1);
            }

            if (first >= size || (requested.First < 0 && requested.Last == 0))
            {
                throw new GcsError(416, "requestedRangeNotSatisfiable", "Request range not satisfiable")
                {
                    Headers = new Dictionary<string, string> { ["Content-Range"] = $"bytes */{size}" },
                };
            }
        }

        // The hashes are the whole object's, so GCS leaves them off an answer that carries only part of it (and
        // Google's .NET client checks the crc32c it finds against the bytes it got).
        if (first == 0 && last == size - 1)
        {
            response.Headers["x-goog-hash"] = $"crc32c={found.Crc32c},md5={found.Md5}";
        }

        response.Headers["x-goog-generation"] = found.Generation.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-metageneration"] = found.Metageneration.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-stored-content-length"] = size.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-stored-content-encoding"] = "identity";
        response.Headers.ETag = $"\"{found.Etag}\"";
        response.Headers.LastModified = found.Created.ToString("R", CultureInfo.InvariantCulture);
        response.ContentType = found.Metadata.ContentType;
        if (found.Metadata.Kept.TryGetValue("cacheControl", out string? cacheControl))
        {
            response.Headers.CacheControl = cacheControl;
        }

        if (found.Metadata.Kept.TryGetValue("contentDisposition", out string? disposition))
        {
            response.Headers.ContentDisposition = disposition;
        }

        if (range is not null)
        {
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {first}-{last}/{size}";
        }

        int length = (int)Math.Max(0, last - first + 1);
        response.ContentLength = length;
        await response.Body.WriteAsync(found.Data.AsMemory((int)first, length), http.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, JsonNode json, GcsFieldSelector? fields = null)
    {
        byte[] body = System.Text.Encoding.UTF8.GetBytes((fields?.Apply(json) ?? json).ToJsonString(s_json));
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext http, GcsError error)
    {
        foreach ((string name, string value) in error.Headers ?? new Dictionary<string, string>())
        {
            http.Response.Headers[name] = value;
        }

        if (error.Status == 304)
        {
            http.Response.StatusCode = 304;
            return Task.CompletedTask;
        }

        return WriteJsonAsync(http, error.Status, error.ToJson());
    }
}
