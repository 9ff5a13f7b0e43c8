using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Avro.Generic;
using Medallion.Storage;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// Expires a UniForm table's Iceberg history as far as its Delta log goes back: the Iceberg snapshots of Delta versions
/// the log no longer has (log cleanup removed them after <c>delta.logRetentionDuration</c>) leave the metadata, with their
/// snapshot-log entries and the metadata files of that time, and their manifest lists and manifests are deleted, as are
/// metadata files no snapshot or log names any more. The current snapshot always stays; data files are Delta's (VACUUM
/// removes them), never this.
/// </summary>
/// <remarks>
/// The shortened history is a new metadata file, created put-if-absent as a conversion's is: when a conversion takes the
/// number first, nothing is deleted and the next expiry tries again. A file that nothing references is deleted only when
/// older than <see cref="UnreferencedAge"/>, since a conversion under way writes its manifests before its metadata file.
/// </remarks>
public static class IcebergExpiry
{
    /// <summary>How old a metadata or manifest file that nothing references must be before it is deleted.</summary>
    public static readonly TimeSpan UnreferencedAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Expires the Iceberg snapshots of the table in <paramref name="store"/> whose Delta version (the summary's
    /// <c>delta-version</c>) is older than the oldest version left in its Delta log, and deletes the files only they used.
    /// </summary>
    /// <param name="store">The table's store.</param>
    /// <param name="now">The present, for the age of unreferenced files and the new metadata's time.</param>
    /// <param name="cancellationToken">Stops the expiry; what was deleted stays deleted, and every remaining metadata file stays valid.</param>
    /// <returns>How many snapshots were expired and how many files deleted.</returns>
    public static async Task<(int SnapshotsExpired, int FilesDeleted)> ExpireAsync(IObjectStore store, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        long? oldestDeltaVersion = await OldestLogVersionAsync(store, cancellationToken).ConfigureAwait(false);
        IcebergMetadataFile? latest = await IcebergConverter.FindLatestAsync(store, cancellationToken).ConfigureAwait(false);
        if (oldestDeltaVersion is not long oldest || latest is null)
        {
            return (0, 0);
        }

        using JsonDocument document = JsonDocument.Parse(latest.Json);
        JsonElement root = document.RootElement;
        string location = root.GetProperty("location").GetString()!.TrimEnd('/');
        long? current = Long(root, "current-snapshot-id");
        List<JsonElement> snapshots = [.. Array(root, "snapshots")];
        List<JsonElement> kept = [.. snapshots.Where(s => Long(s, "snapshot-id") == current || DeltaVersion(s) is not long v || v >= oldest)];
        List<JsonElement> expired = [.. snapshots.Where(s => !kept.Contains(s))];
        long keptSince = kept.Count == 0 ? long.MinValue : kept.Min(s => Long(s, "timestamp-ms") ?? long.MinValue);
        List<JsonElement> log = [.. Array(root, "metadata-log")];
        // The metadata files of the expired history: those from before the oldest snapshot kept became current.
        List<JsonElement> keptLog = expired.Count == 0 ? log : [.. log.Where(e => (Long(e, "timestamp-ms") ?? long.MinValue) >= keptSince)];
        int deleted = 0;
        string newest = latest.Key;
        if (expired.Count > 0 || keptLog.Count < log.Count)
        {
            HashSet<long> expiredIds = [.. expired.Select(s => Long(s, "snapshot-id") ?? 0)];
            byte[] json = Rewrite(root, kept, expiredIds, keptLog, location + "/" + latest.Key, Math.Max(now.ToUnixTimeMilliseconds(), Long(root, "last-updated-ms") ?? 0));
            newest = IcebergConverter.MetadataKey(latest.Number + 1);
            if (!await store.PutIfAbsentAsync(newest, json, cancellationToken).ConfigureAwait(false))
            {
                // A conversion wrote the next file first, from the longer history: the next expiry shortens that.
                return (0, 0);
            }
        }

        // What the remaining history names: its metadata files, and its snapshots' manifest lists and manifests.
        var referenced = new HashSet<string>(StringComparer.Ordinal) { newest, latest.Key };
        foreach (JsonElement entry in keptLog)
        {
            AddKey(referenced, location, entry.GetProperty("metadata-file").GetString());
        }

        foreach (JsonElement snapshot in kept)
        {
            await AddManifestsAsync(store, location, snapshot, referenced, cancellationToken).ConfigureAwait(false);
        }

        // What the expired history alone named goes at once; anything else nothing names, once it is old enough.
        var expiredFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement entry in log.Except(keptLog))
        {
            AddKey(expiredFiles, location, entry.GetProperty("metadata-file").GetString());
        }

        foreach (JsonElement snapshot in expired)
        {
            await AddManifestsAsync(store, location, snapshot, expiredFiles, cancellationToken).ConfigureAwait(false);
        }

        var candidates = new List<ObjectInfo>();
        await foreach (ObjectInfo info in store.ListAsync(IcebergConverter.MetadataFolder, null, cancellationToken).ConfigureAwait(false))
        {
            candidates.Add(info);
        }

        foreach (ObjectInfo info in candidates)
        {
            bool ours = info.Key.EndsWith(".avro", StringComparison.Ordinal) || IcebergConverter.Number(info.Key) is not null;
            if (ours && !referenced.Contains(info.Key) && (expiredFiles.Contains(info.Key) || info.LastModified < now - UnreferencedAge))
            {
                await store.DeleteAsync(info.Key, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }

        return (expired.Count, deleted);
    }

    /// <summary>The metadata without the expired snapshots: the snapshot log from after the last expired one, the metadata log shortened and the previous file added.</summary>
    private static byte[] Rewrite(JsonElement root, List<JsonElement> kept, HashSet<long> expiredIds, List<JsonElement> keptLog, string previousLocation, long lastUpdatedMs)
    {
        List<JsonElement> snapshotLog = [.. Array(root, "snapshot-log")];
        int lastExpired = snapshotLog.FindLastIndex(e => expiredIds.Contains(Long(e, "snapshot-id") ?? 0));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "last-updated-ms":
                        json.WriteNumber(property.Name, lastUpdatedMs);
                        break;
                    case "snapshots":
                        WriteArray(json, property.Name, kept);
                        break;
                    case "snapshot-log":
                        // The spec: "all entries before a snapshot that has expired should be removed".
                        WriteArray(json, property.Name, snapshotLog.Skip(lastExpired + 1));
                        break;
                    case "metadata-log":
                        json.WriteStartArray(property.Name);
                        foreach (JsonElement entry in keptLog)
                        {
                            entry.WriteTo(json);
                        }

                        json.WriteStartObject();
                        json.WriteNumber("timestamp-ms", Long(root, "last-updated-ms") ?? 0);
                        json.WriteString("metadata-file", previousLocation);
                        json.WriteEndObject();
                        json.WriteEndArray();
                        break;
                    default:
                        property.WriteTo(json);
                        break;
                }
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Adds the keys of <paramref name="snapshot"/>'s manifest list and of the manifests it lists to <paramref name="keys"/>.</summary>
    private static async Task AddManifestsAsync(IObjectStore store, string location, JsonElement snapshot, HashSet<string> keys, CancellationToken cancellationToken)
    {
        if (Key(location, snapshot.GetProperty("manifest-list").GetString()) is { } list && await store.TryReadAllAsync(list, cancellationToken).ConfigureAwait(false) is { } content)
        {
            keys.Add(list);
            foreach (GenericRecord manifest in AvroContainer.Read(content).Records)
            {
                AddKey(keys, location, (string)manifest["manifest_path"]);
            }
        }
    }

    private static void WriteArray(Utf8JsonWriter json, string name, IEnumerable<JsonElement> items)
    {
        json.WriteStartArray(name);
        foreach (JsonElement item in items)
        {
            item.WriteTo(json);
        }

        json.WriteEndArray();
    }

    /// <summary>The oldest version the Delta log still has (a commit or checkpoint file); null for an empty log.</summary>
    private static async Task<long?> OldestLogVersionAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        long? oldest = null;
        await foreach (ObjectInfo info in store.ListAsync("_delta_log/", null, cancellationToken).ConfigureAwait(false))
        {
            string name = info.Key["_delta_log/".Length..];
            if (name.Length > 21 && name[20] == '.' && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out long version)
                && (name.EndsWith(".json", StringComparison.Ordinal) || name.Contains(".checkpoint", StringComparison.Ordinal)))
            {
                oldest = oldest is long o ? Math.Min(o, version) : version;
            }
        }

        return oldest;
    }

    private static long? DeltaVersion(JsonElement snapshot) =>
        snapshot.TryGetProperty("summary", out JsonElement summary) && summary.TryGetProperty("delta-version", out JsonElement v) && v.ValueKind == JsonValueKind.String
        && long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out long version) ? version : null;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    private static void AddKey(HashSet<string> keys, string location, string? file)
    {
        if (Key(location, file) is { } key)
        {
            keys.Add(key);
        }
    }

    /// <summary>The store key of a location under the table's; null for one elsewhere.</summary>
    private static string? Key(string location, string? file) =>
        file is not null && file.StartsWith(location + "/", StringComparison.Ordinal) ? file[(location.Length + 1)..] : null;
}
