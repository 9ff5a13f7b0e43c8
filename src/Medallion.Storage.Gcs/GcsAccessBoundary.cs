using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Medallion.Storage.Gcs;

/// <summary>
/// The Credential Access Boundary a downscoped Google token is exchanged under for one table (Google's STS
/// <c>options</c>): one rule on the table's bucket whose role is <c>roles/storage.objectViewer</c> (read and list) or,
/// for <see cref="StorageAccess.ReadWrite"/>, <c>roles/storage.objectAdmin</c>, and whose condition admits the objects
/// under the table's folder (<c>resource.name</c>) and listings whose prefix is inside it (the
/// <c>storage.googleapis.com/objectListPrefix</c> attribute: a list request names the bucket, not an object, so it is
/// judged by the prefix it asks for, as Google's downscoping documentation prescribes).
/// </summary>
/// <remarks>
/// The folder is the prefix followed by <c>/</c>, so <c>silver/orders</c> never reaches <c>silver/orders_v2/</c>. The
/// prefix is written into CEL string literals; one holding a character that would need an escape there (a quote, a
/// backslash, a control character) is refused rather than escaped, since no table name makes one.
/// </remarks>
public static class GcsAccessBoundary
{
    /// <summary>The role of read credentials: get and list objects.</summary>
    public const string ReadRole = "inRole:roles/storage.objectViewer";

    /// <summary>The role of read-write credentials: also create, replace and delete objects.</summary>
    public const string ReadWriteRole = "inRole:roles/storage.objectAdmin";

    private static readonly SearchValues<char> s_bucketCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-_.");

    /// <summary>The Credential Access Boundary (JSON, <c>{"accessBoundary": {...}}</c>) for <paramref name="access"/> to the objects under <paramref name="prefix"/> of <paramref name="bucket"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">The table's object name prefix, without leading or trailing <c>/</c>; empty for the whole bucket.</param>
    /// <param name="access">What the token allows.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageCredentialsUnsupported"/> when the bucket is not a
    /// bucket name or the prefix holds a character a boundary cannot safely quote, or an empty, <c>.</c> or <c>..</c> segment.</exception>
    public static string For(string bucket, string prefix, StorageAccess access)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        if (bucket.Length is < 3 or > 222 || bucket.AsSpan().IndexOfAnyExcept(s_bucketCharacters) >= 0)
        {
            throw Unsafe(bucket, prefix, $"'{bucket}' is not a Cloud Storage bucket name (lower-case letters, digits, '-', '_' and '.')");
        }

        foreach (char c in prefix)
        {
            if (c is '\'' or '"' or '\\' or '`' || char.IsControl(c) || char.IsSurrogate(c))
            {
                throw Unsafe(bucket, prefix, $"its path holds {(char.IsControl(c) ? $"the control character U+{(int)c:X4}" : $"'{c}'")}, which a token's access boundary cannot name safely");
            }
        }

        if (prefix.Length > 0 && Array.Exists(prefix.Split('/'), segment => segment is "" or "." or ".."))
        {
            throw Unsafe(bucket, prefix, "its path has an empty, '.' or '..' segment");
        }

        using var buffer = new MemoryStream();
        // Relaxed escaping writes the CEL's quotes as themselves; the prefix holds no character that needs more.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("accessBoundary");
            json.WriteStartArray("accessBoundaryRules");
            json.WriteStartObject();
            json.WriteString("availableResource", "//storage.googleapis.com/projects/_/buckets/" + bucket);
            json.WriteStartArray("availablePermissions");
            json.WriteStringValue(access == StorageAccess.ReadWrite ? ReadWriteRole : ReadRole);
            json.WriteEndArray();
            if (prefix.Length > 0)
            {
                json.WriteStartObject("availabilityCondition");
                json.WriteString("expression", Condition(bucket, prefix + "/"));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The objects under <paramref name="folder"/> (ending in <c>/</c>), or a listing of a prefix inside it.</summary>
    private static string Condition(string bucket, string folder) =>
        $"resource.name.startsWith('projects/_/buckets/{bucket}/objects/{folder}')"
        + $" || api.getAttribute('storage.googleapis.com/objectListPrefix', '').startsWith('{folder}')";

    private static MedallionException Unsafe(string bucket, string prefix, string why) =>
        new(ErrorCode.StorageCredentialsUnsupported,
            $"No temporary credentials can be issued for 'gs://{bucket}/{prefix}': {why}.\nHelp: read the table through the SQL endpoint, or move it to a location whose path is plain letters, digits and '/'.");
}
