using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;

namespace Medallion.TestSupport;

/// <summary>
/// Uploads (objects.insert on <c>/upload/storage/v1/b/{bucket}/o</c>): <c>uploadType=media</c> (the body is the
/// object), <c>multipart</c> (multipart/related: the object resource as JSON, then the data) and <c>resumable</c> (a
/// POST that opens a session and answers its URL in <c>Location</c>, then PUTs of byte ranges to it).
/// </summary>
public sealed partial class GcsTestServer
{
    /// <summary>GCS keeps the data of an unfinished resumable upload in whole units of 256 KiB.</summary>
    private const int ResumableQuantum = 256 * 1024;

    /// <summary>The query parameters objects.insert takes (besides the system ones).</summary>
    private static readonly string[] s_insertParameters =
        ["uploadType", "name", "ifGenerationMatch", "ifGenerationNotMatch", "ifMetagenerationMatch", "ifMetagenerationNotMatch", "projection", "predefinedAcl", "contentEncoding"];

    private static readonly string[] s_predefinedAcls = ["authenticatedRead", "bucketOwnerFullControl", "bucketOwnerRead", "private", "projectPrivate", "publicRead"];

    private readonly ConcurrentDictionary<string, UploadSession> _uploads = new(StringComparer.Ordinal);

    private async Task InsertAsync(GcsCall call, string bucketName)
    {
        call.Route = "objects.insert";
        call.Allow(s_insertParameters);
        string uploadType = call.EnumParam("uploadType", "media", "multipart", "resumable")
            ?? throw GcsError.Required("Required parameter: uploadType (media, multipart or resumable).");
        call.EnumParam("projection", "full", "noAcl");
        call.EnumParam("predefinedAcl", s_predefinedAcls);
        GcsFieldSelector? fields = Fields(call);
        GcsPreconditions preconditions = call.Preconditions();
        GcsBucket bucket = Bucket(bucketName);
        byte[] body = await call.ReadBodyAsync();
        string? contentType = call.Http.Request.ContentType;

        GcsMetadata metadata;
        byte[] data;
        switch (uploadType)
        {
            case "media":
                // The body is the object; its Content-Type is the object's.
                metadata = new GcsMetadata { ContentType = contentType ?? "application/octet-stream", HasContentType = contentType is not null };
                data = body;
                break;
            case "multipart":
                (metadata, data) = ParseMultipart(contentType, body);
                break;
            default:
                await StartResumableAsync(call, bucket, body, preconditions);
                return;
        }

        metadata = Named(call, metadata);
        GcsObject stored = Commit(bucket, metadata, data, preconditions, HashHeader(call));
        await WriteJsonAsync(call.Http, 200, stored.ToJson(Endpoint), fields);
    }

    /// <summary>Applies the query's <c>name</c> (which overrides the resource's, as in GCS) and <c>contentEncoding</c>, and checks the name.</summary>
    private static GcsMetadata Named(GcsCall call, GcsMetadata metadata)
    {
        string name = call.Param("name") ?? metadata.Name
            ?? throw GcsError.Required("Required parameter: name (in the query or in the object resource).");
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) > 1024 || name.Contains('\r', StringComparison.Ordinal)
            || name.Contains('\n', StringComparison.Ordinal) || name is "." or ".." || name.StartsWith(".well-known/acme-challenge/", StringComparison.Ordinal))
        {
            throw GcsError.Invalid($"The object name '{name}' is not valid (1 to 1024 bytes of UTF-8, no CR or LF, not '.' or '..').");
        }

        Authorize(call, "storage.objects.create", call.Segments[^2], name);
        metadata = metadata with { Name = name };
        if (call.Param("contentEncoding") is { } encoding)
        {
            metadata = metadata with { Kept = new Dictionary<string, string>(metadata.Kept, StringComparer.Ordinal) { ["contentEncoding"] = encoding } };
        }

        return metadata;
    }

    /// <summary>Stores <paramref name="data"/> as a new generation once the hashes the client sent and the preconditions hold.</summary>
    private GcsObject Commit(GcsBucket bucket, GcsMetadata metadata, byte[] data, GcsPreconditions preconditions, (string? Crc32c, string? Md5) sent)
    {
        metadata.Verify(data);
        GcsMetadata.VerifyHashes(sent.Crc32c, sent.Md5, data);
        string name = metadata.Name!;
        lock (bucket.Gate)
        {
            preconditions.CheckWrite(bucket.Objects.GetValueOrDefault(name));
            var stored = new GcsObject
            {
                Bucket = bucket.Name,
                Name = name,
                Data = data,
                Generation = NextGeneration(),
                Metadata = metadata,
                Created = DateTimeOffset.UtcNow,
            };
            bucket.Objects[name] = stored;
            return stored;
        }
    }

    /// <summary>
    /// Splits a multipart/related upload: exactly two parts, the object resource as JSON and then the data, whose
    /// Content-Type is the object's unless the resource names one.
    /// </summary>
    private static (GcsMetadata Metadata, byte[] Data) ParseMultipart(string? contentType, byte[] body)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type)
            || !type.MediaType.Equals("multipart/related", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw GcsError.Invalid($"A multipart upload needs Content-Type: multipart/related; boundary=..., not '{contentType}'.");
        }

        List<(Dictionary<string, string> Headers, byte[] Content)> parts = MultipartParts(body, boundary);
        if (parts.Count != 2)
        {
            throw GcsError.Invalid($"A multipart upload has exactly two parts (metadata, then media), not {parts.Count}.");
        }

        if (parts[0].Headers.TryGetValue("content-type", out string? metadataType)
            && !metadataType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw GcsError.Invalid($"The first part of a multipart upload is the object resource as application/json, not '{metadataType}'.");
        }

        GcsMetadata metadata = GcsMetadata.Parse(parts[0].Content);
        if (!metadata.HasContentType && parts[1].Headers.TryGetValue("content-type", out string? mediaType))
        {
            metadata = metadata with { ContentType = mediaType, HasContentType = true };
        }

        return (metadata, parts[1].Content);
    }

    /// <summary>The parts of a MIME multipart body (RFC 2046): each part's headers (names lower-cased) and content.</summary>
    private static List<(Dictionary<string, string> Headers, byte[] Content)> MultipartParts(byte[] body, string boundary)
    {
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        byte[] crlf = "\r\n"u8.ToArray();
        var parts = new List<(Dictionary<string, string>, byte[])>();
        ReadOnlySpan<byte> rest = body;
        int at = rest.IndexOf(delimiter);
        if (at < 0)
        {
            throw GcsError.Invalid("The multipart body has no boundary line.");
        }

        rest = rest[(at + delimiter.Length)..];
        while (true)
        {
            if (rest.StartsWith("--"u8))
            {
                return parts;
            }

            if (!rest.StartsWith(crlf))
            {
                throw GcsError.Invalid("A multipart boundary line must end with CRLF.");
            }

            rest = rest[2..];
            int headerEnd = rest.IndexOf("\r\n\r\n"u8);
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (rest.StartsWith(crlf))
            {
                rest = rest[2..];
            }
            else if (headerEnd >= 0)
            {
                foreach (string line in Encoding.UTF8.GetString(rest[..headerEnd]).Split("\r\n"))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        throw GcsError.Invalid($"Malformed header line in a multipart part: '{line}'.");
                    }

                    headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }

                rest = rest[(headerEnd + 4)..];
            }
            else
            {
                throw GcsError.Invalid("A multipart part's headers do not end with an empty line.");
            }

            byte[] next = [.. crlf, .. delimiter];
            int end = rest.IndexOf(next);
            if (end < 0)
            {
                throw GcsError.Invalid("The multipart body does not end with its closing boundary.");
            }

            parts.Add((headers, rest[..end].ToArray()));
            rest = rest[(end + next.Length)..];
        }
    }

    /// <summary>Opens a resumable session; the preconditions are checked now and again when the last byte comes.</summary>
    private async Task StartResumableAsync(GcsCall call, GcsBucket bucket, byte[] body, GcsPreconditions preconditions)
    {
        if (call.Param("upload_id") is not null)
        {
            throw GcsError.Invalid("upload_id belongs on the PUTs to a session, not on the POST that opens one.");
        }

        GcsMetadata metadata = GcsMetadata.Parse(body);
        if (!metadata.HasContentType && call.Http.Request.Headers["X-Upload-Content-Type"].ToString() is { Length: > 0 } uploadType)
        {
            metadata = metadata with { ContentType = uploadType, HasContentType = true };
        }

        long? declared = null;
        if (call.Http.Request.Headers["X-Upload-Content-Length"].ToString() is { Length: > 0 } lengthText)
        {
            declared = long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out long length)
                ? length
                : throw GcsError.Invalid($"Invalid X-Upload-Content-Length: '{lengthText}'.");
        }

        metadata = Named(call, metadata);
        lock (bucket.Gate)
        {
            preconditions.CheckWrite(bucket.Objects.GetValueOrDefault(metadata.Name!));
        }

        string id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        _uploads[id] = new UploadSession(id, bucket, metadata, preconditions, declared);
        // The session URL is the request's own, with the caller's parameters kept and upload_id added, as GCS answers it.
        string query = call.Target.Contains('?', StringComparison.Ordinal) ? call.Target[(call.Target.IndexOf('?', StringComparison.Ordinal) + 1)..] + "&" : "";
        call.Http.Response.StatusCode = 200;
        // The session URL is on the host the client asked (as GCS answers with its own): through a proxy, the proxy.
        call.Http.Response.Headers.Location = $"{call.Http.Request.Scheme}://{call.Http.Request.Host}/upload/storage/v1/b/{call.RawSegments[4]}/o?{query}upload_id={id}";
        call.Http.Response.Headers["X-GUploader-UploadID"] = id;
        call.Http.Response.ContentLength = 0;
    }

    /// <summary>
    /// A PUT to a resumable session: <c>Content-Range: bytes a-b/total</c> (or <c>/*</c> while the size is unknown)
    /// with the bytes, or <c>bytes */total</c> / <c>bytes */*</c> with no body to ask for the status (and, with the
    /// total reached, to finish). No Content-Range sends the whole object in one request. Answers 308 with
    /// <c>Range: bytes=0-N</c> of what is kept while incomplete, 200 with the object once the last byte is in. A chunk
    /// that overlaps what the session has is taken from where the session is (as GCS does for retransmissions); one
    /// that leaves a gap is a violation.
    /// </summary>
    private async Task ResumeAsync(GcsCall call, string bucketName)
    {
        call.Route = "resumable upload (PUT)";
        call.Allow([.. s_insertParameters, "upload_id"]);
        call.EnumParam("uploadType", "resumable");
        GcsFieldSelector? fields = Fields(call);
        UploadSession session = Session(call, bucketName);
        byte[] body = await call.ReadBodyAsync();
        (long First, long Last)? chunk;
        long? total;
        string? header = call.Http.Request.Headers.ContentRange;
        if (header is null)
        {
            chunk = body.Length == 0 ? null : (0, body.Length - 1);
            total = body.Length;
        }
        else
        {
            Match match = ContentRangePattern().Match(header);
            if (!match.Success)
            {
                throw GcsError.Invalid($"Malformed Content-Range '{header}' (bytes a-b/total, bytes a-b/*, bytes */total or bytes */*).");
            }

            total = match.Groups["total"].Value == "*" ? null : Number(match.Groups["total"].Value, header);
            if (match.Groups["first"].Success)
            {
                chunk = (Number(match.Groups["first"].Value, header), Number(match.Groups["last"].Value, header));
                if (chunk.Value.Last < chunk.Value.First || (total is not null && chunk.Value.Last >= total))
                {
                    throw GcsError.Invalid($"Content-Range '{header}' is not a range inside the object.");
                }

                if (body.Length != chunk.Value.Last - chunk.Value.First + 1)
                {
                    throw GcsError.Invalid($"Content-Range '{header}' covers {chunk.Value.Last - chunk.Value.First + 1} bytes but the body has {body.Length}.");
                }
            }
            else
            {
                chunk = null;
                if (body.Length != 0)
                {
                    throw GcsError.Invalid($"Content-Range '{header}' asks for the upload's status, yet the request has a {body.Length}-byte body.");
                }
            }
        }

        GcsObject? stored;
        long kept;
        lock (session.Gate)
        {
            if (session.Result is not null)
            {
                // A finished session answers every later request with its object, as GCS does.
                stored = session.Result;
                kept = stored.Data.Length;
            }
            else
            {
                if (session.Failure is not null)
                {
                    throw session.Failure;
                }

                (stored, kept) = Resume(session, chunk, body, total, HashHeader(call));
            }
        }

        if (stored is not null)
        {
            await WriteJsonAsync(call.Http, 200, stored.ToJson(Endpoint), fields);
            return;
        }

        call.Http.Response.StatusCode = 308;
        if (kept > 0)
        {
            call.Http.Response.Headers.Range = $"bytes=0-{kept - 1}";
        }

        call.Http.Response.ContentLength = 0;
    }

    /// <summary>Takes a chunk into a session (under its lock): the object once complete, else what the session now keeps.</summary>
    private (GcsObject? Stored, long Kept) Resume(UploadSession session, (long First, long Last)? chunk, byte[] body, long? total, (string? Crc32c, string? Md5) sent)
    {
        long persisted = session.Data.Length;
        if (total is not null)
        {
            if ((session.Total ?? session.Declared ?? total) != total)
            {
                throw GcsError.Invalid($"The upload's total size changed: it was {session.Total ?? session.Declared}, this request says {total}.");
            }

            if (total < persisted)
            {
                throw GcsError.Invalid($"The upload's total size {total} is less than the {persisted} bytes already received.");
            }

            session.Total = total;
        }

        if (chunk is { } range)
        {
            if (range.First > persisted)
            {
                throw GcsError.Invalid($"The chunk starts at byte {range.First} but the session has only {persisted} bytes (bytes=0-{persisted - 1}); ask for the status and resume from there.");
            }

            if (session.Total is { } limit && range.Last >= limit)
            {
                throw GcsError.Invalid($"The chunk ends at byte {range.Last}, past the upload's total size {limit}.");
            }

            if (range.Last >= persisted)
            {
                session.Data.Position = persisted;
                session.Data.Write(body.AsSpan((int)(persisted - range.First)));
            }
        }

        if (session.Total is { } size && session.Data.Length == size)
        {
            try
            {
                session.Result = Commit(session.Bucket, session.Metadata, session.Data.ToArray(), session.Preconditions, sent);
                session.Data = new MemoryStream();
            }
            catch (GcsError error)
            {
                // The session is over: a failed precondition or hash check is its final answer.
                session.Failure = error;
                throw;
            }

            return (session.Result, size);
        }

        // An unfinished upload keeps only whole 256 KiB units; the client resends the rest from the Range it is told.
        long whole = Math.Max(persisted, session.Data.Length / ResumableQuantum * ResumableQuantum);
        session.Data.SetLength(whole);
        return (null, whole);
    }

    /// <summary>
    /// The hashes in an <c>x-goog-hash</c> header (<c>crc32c=BASE64,md5=BASE64</c>, one header or several), which
    /// Google's .NET client sends with the request that completes an upload and GCS checks the object against.
    /// </summary>
    private static (string? Crc32c, string? Md5) HashHeader(GcsCall call)
    {
        string? crc32c = null, md5 = null;
        foreach (string? value in call.Http.Request.Headers["x-goog-hash"])
        {
            foreach (string item in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int equals = item.IndexOf('=', StringComparison.Ordinal);
                switch (equals < 0 ? item : item[..equals])
                {
                    case "crc32c":
                        crc32c = item[(equals + 1)..];
                        break;
                    case "md5":
                        md5 = item[(equals + 1)..];
                        break;
                    default:
                        throw GcsError.Invalid($"Malformed x-goog-hash header '{value}' (crc32c=BASE64 and/or md5=BASE64).");
                }
            }
        }

        return (crc32c, md5);
    }

    /// <summary>DELETE of a session URL cancels the upload; GCS answers 499.</summary>
    private Task CancelUploadAsync(GcsCall call, string bucketName)
    {
        call.Route = "resumable upload (DELETE)";
        call.Allow([.. s_insertParameters, "upload_id"]);
        UploadSession session = Session(call, bucketName);
        lock (session.Gate)
        {
            _uploads.TryRemove(session.Id, out _);
        }

        call.Http.Response.StatusCode = 499;
        call.Http.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private UploadSession Session(GcsCall call, string bucketName)
    {
        string id = call.Param("upload_id") ?? throw GcsError.Required($"Required parameter: upload_id ({call.Method} on the upload endpoint is for a resumable session).");
        if (!_uploads.TryGetValue(id, out UploadSession? session))
        {
            throw new GcsError(404, "notFound", $"No such upload session: {id}");
        }

        return session.Bucket.Name == bucketName
            ? session
            : throw GcsError.Invalid($"Upload session {id} belongs to bucket {session.Bucket.Name}, not {bucketName}.");
    }

    private static long Number(string text, string header) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : throw GcsError.Invalid($"Malformed Content-Range '{header}'.");

    [GeneratedRegex(@"^bytes (?:(?<first>\d{1,18})-(?<last>\d{1,18})|\*)/(?<total>\d{1,18}|\*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ContentRangePattern();

    /// <summary>A resumable upload in progress (or finished: then <see cref="Result"/> or <see cref="Failure"/> answers every later request).</summary>
    private sealed class UploadSession(string id, GcsBucket bucket, GcsMetadata metadata, GcsPreconditions preconditions, long? declared)
    {
        public string Id { get; } = id;

        public Lock Gate { get; } = new();

        public GcsBucket Bucket { get; } = bucket;

        public GcsMetadata Metadata { get; } = metadata;

        public GcsPreconditions Preconditions { get; } = preconditions;

        /// <summary>The size X-Upload-Content-Length announced when the session was opened.</summary>
        public long? Declared { get; } = declared;

        /// <summary>The size a Content-Range gave.</summary>
        public long? Total { get; set; }

        /// <summary>The bytes kept so far.</summary>
        public MemoryStream Data { get; set; } = new();

        public GcsObject? Result { get; set; }

        public GcsError? Failure { get; set; }
    }
}
