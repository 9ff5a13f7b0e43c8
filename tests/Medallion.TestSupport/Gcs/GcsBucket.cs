using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Medallion.TestSupport;

/// <summary>
/// A bucket of the <see cref="GcsTestServer"/>: its live objects by name, in GCS's listing order. Every read and
/// change of <see cref="Objects"/> holds <see cref="Gate"/>, so a precondition and the write it guards are one step.
/// </summary>
internal sealed class GcsBucket(string name, DateTimeOffset created)
{
    public string Name { get; } = name;

    public DateTimeOffset Created { get; } = created;

    public Lock Gate { get; } = new();

    public SortedDictionary<string, GcsObject> Objects { get; } = new(Utf8Order.Instance);
}

/// <summary>One stored object generation; immutable, so a reader may keep it after the lock is released.</summary>
internal sealed class GcsObject
{
    public required string Bucket { get; init; }

    public required string Name { get; init; }

    public required byte[] Data { get; init; }

    public required long Generation { get; init; }

    public long Metageneration { get; init; } = 1;

    public required GcsMetadata Metadata { get; init; }

    public required DateTimeOffset Created { get; init; }

    /// <summary>GCS's <c>md5Hash</c>: computed on first use, as listings show it for every object.</summary>
    public string Md5 => field ??= Md5Base64(Data);

    /// <summary>GCS's <c>crc32c</c>: computed on first use.</summary>
    public string Crc32c => field ??= Crc32C.Base64(Data);

    /// <summary>GCS's object etag: base64 of a small protobuf (field 1 generation, field 2 metageneration).</summary>
    public string Etag
    {
        get
        {
            var bytes = new List<byte> { 0x08 };
            Varint(bytes, (ulong)Generation);
            bytes.Add(0x10);
            Varint(bytes, (ulong)Metageneration);
            return Convert.ToBase64String([.. bytes]);
        }
    }

    /// <summary>The object resource as <c>objects.get</c> answers it.</summary>
    public JsonObject ToJson(Uri endpoint)
    {
        string escapedName = Uri.EscapeDataString(Name);
        string generation = Generation.ToString(CultureInfo.InvariantCulture);
        var json = new JsonObject
        {
            ["kind"] = "storage#object",
            ["id"] = $"{Bucket}/{Name}/{generation}",
            ["selfLink"] = $"{endpoint}storage/v1/b/{Bucket}/o/{escapedName}",
            ["mediaLink"] = $"{endpoint}download/storage/v1/b/{Bucket}/o/{escapedName}?generation={generation}&alt=media",
            ["name"] = Name,
            ["bucket"] = Bucket,
            ["generation"] = generation,
            ["metageneration"] = Metageneration.ToString(CultureInfo.InvariantCulture),
            ["contentType"] = Metadata.ContentType,
            ["storageClass"] = "STANDARD",
            ["size"] = Data.Length.ToString(CultureInfo.InvariantCulture),
            ["md5Hash"] = Md5,
            ["crc32c"] = Crc32c,
            ["etag"] = Etag,
            ["timeCreated"] = Rfc3339(Created),
            ["updated"] = Rfc3339(Created),
            ["timeStorageClassUpdated"] = Rfc3339(Created),
            ["timeFinalized"] = Rfc3339(Created),
        };
        Metadata.AddOptional(json);
        return json;
    }

    /// <summary>The MD5 of <paramref name="data"/> in base64: GCS's <c>md5Hash</c>, an integrity check, not security.</summary>
#pragma warning disable CA5351 // The protocol's hash; nothing here depends on MD5's collision resistance.
    public static string Md5Base64(byte[] data) => Convert.ToBase64String(MD5.HashData(data));
#pragma warning restore CA5351

    public static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Varint(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }
}

/// <summary>
/// The writable part of an object resource a client sends with an upload (the metadata part of a multipart upload,
/// the body that starts a resumable one): what the server keeps, and the hashes it must check the data against.
/// </summary>
internal sealed record GcsMetadata
{
    /// <summary>Fields of the object resource that the server keeps and echoes.</summary>
    private static readonly string[] s_kept = ["cacheControl", "contentDisposition", "contentEncoding", "contentLanguage"];

    public string? Name { get; init; }

    public string ContentType { get; init; } = "application/octet-stream";

    public bool HasContentType { get; init; }

    public string? Crc32c { get; init; }

    public string? Md5Hash { get; init; }

    /// <summary>The custom metadata (<c>metadata</c>: string to string).</summary>
    public JsonObject? Custom { get; init; }

    public IReadOnlyDictionary<string, string> Kept { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Reads an object resource a client sent; an empty body is an empty resource.</summary>
    public static GcsMetadata Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return new GcsMetadata();
        }

        JsonObject json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject ?? throw GcsError.Invalid("The object resource in the request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw GcsError.Invalid($"The object resource in the request body is not valid JSON: {e.Message}");
        }

        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string field in s_kept)
        {
            if (String(json, field) is { } value)
            {
                kept[field] = value;
            }
        }

        JsonObject? custom = null;
        if (json["metadata"] is { } metadata)
        {
            custom = metadata as JsonObject ?? throw GcsError.Invalid("Invalid value for metadata: it must be an object of strings.");
            if (custom.Any(pair => pair.Value is not JsonValue value || value.GetValueKind() != JsonValueKind.String))
            {
                throw GcsError.Invalid("Invalid value for metadata: its values must be strings.");
            }

            custom = (JsonObject)custom.DeepClone();
        }

        string? contentType = String(json, "contentType");
        return new GcsMetadata
        {
            Name = String(json, "name"),
            ContentType = contentType ?? "application/octet-stream",
            HasContentType = contentType is not null,
            Crc32c = String(json, "crc32c"),
            Md5Hash = String(json, "md5Hash"),
            Custom = custom,
            Kept = kept,
        };
    }

    /// <summary>Fails as GCS does when the client sent a hash that the data does not have.</summary>
    public void Verify(byte[] data) => VerifyHashes(Crc32c, Md5Hash, data);

    /// <summary>Checks the hashes a client sent (base64; null when it sent none) against <paramref name="data"/>.</summary>
    public static void VerifyHashes(string? crc32c, string? md5Hash, byte[] data)
    {
        if (crc32c is not null && crc32c != Crc32C.Base64(data))
        {
            throw GcsError.Invalid($"Provided CRC32C \"{crc32c}\" doesn't match calculated CRC32C \"{Crc32C.Base64(data)}\".");
        }

        string md5 = GcsObject.Md5Base64(data);
        if (md5Hash is not null && md5Hash != md5)
        {
            throw GcsError.Invalid($"Provided MD5 hash \"{md5Hash}\" doesn't match calculated MD5 hash \"{md5}\".");
        }
    }

    public void AddOptional(JsonObject json)
    {
        foreach ((string field, string value) in Kept)
        {
            json[field] = value;
        }

        if (Custom is not null)
        {
            json["metadata"] = Custom.DeepClone();
        }
    }

    private static string? String(JsonObject json, string field) => json[field] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw GcsError.Invalid($"Invalid value for {field}: it must be a string."),
    };
}

/// <summary>
/// The precondition parameters of a request (<c>ifGenerationMatch</c>, ...), checked against the object as it is
/// when the request takes effect.
/// </summary>
internal readonly record struct GcsPreconditions(long? GenerationMatch, long? GenerationNotMatch, long? MetagenerationMatch, long? MetagenerationNotMatch)
{
    public bool Any => GenerationMatch is not null || GenerationNotMatch is not null || MetagenerationMatch is not null || MetagenerationNotMatch is not null;

    /// <summary>
    /// For a write: <paramref name="current"/> is the live object or null. <c>ifGenerationMatch=0</c> asks for no live
    /// object; a metageneration condition needs one. A failed condition is a 412.
    /// </summary>
    public void CheckWrite(GcsObject? current)
    {
        bool holds = current is null
            ? (GenerationMatch is null or 0) && MetagenerationMatch is null
            : (GenerationMatch is null || GenerationMatch == current.Generation)
              && (GenerationNotMatch is null || GenerationNotMatch != current.Generation)
              && (MetagenerationMatch is null || MetagenerationMatch == current.Metageneration)
              && (MetagenerationNotMatch is null || MetagenerationNotMatch != current.Metageneration);
        if (!holds)
        {
            throw GcsError.PreconditionFailed();
        }
    }

    /// <summary>
    /// For a read or a delete of an existing object. On a read (<paramref name="read"/>) a failed "not match" condition
    /// is a 304 Not Modified, as GCS answers it for a GET; every other failure is a 412.
    /// </summary>
    public void CheckExisting(GcsObject current, bool read)
    {
        if ((GenerationMatch is not null && GenerationMatch != current.Generation)
            || (MetagenerationMatch is not null && MetagenerationMatch != current.Metageneration))
        {
            throw GcsError.PreconditionFailed();
        }

        if ((GenerationNotMatch is not null && GenerationNotMatch == current.Generation)
            || (MetagenerationNotMatch is not null && MetagenerationNotMatch == current.Metageneration))
        {
            throw read ? new GcsError(304, "notModified", "Not Modified") : GcsError.PreconditionFailed();
        }
    }
}

/// <summary>
/// Orders strings by their UTF-8 bytes (that is, by code point), as GCS orders object names; plain ordinal order of
/// UTF-16 code units differs for characters above U+FFFF against those in U+E000..U+FFFF.
/// </summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static Utf8Order Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            if (x[i] != y[i])
            {
                return Fix(x[i]) - Fix(y[i]);
            }
        }

        return x.Length - y.Length;
    }

    /// <summary>Moves surrogates above U+E000..U+FFFF, so that UTF-16 code units compare in code point order.</summary>
    private static int Fix(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
}
