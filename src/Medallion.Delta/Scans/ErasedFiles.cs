using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Storage;

namespace Medallion.Delta.Scans;

/// <summary>
/// Records of data files removed by a data subject erasure, kept in the table as <c>_erasures/&lt;id&gt;.json</c> (a
/// Medallion extension: other readers ignore the folder, and VACUUM leaves folders starting with '_' alone). An erasure
/// deletes the files of older versions that still hold the person, so those versions are incomplete; a scan planned on
/// one of them fails with <see cref="ErrorCode.DeltaFileErased"/> naming the erasure, instead of DuckDB's bare
/// "file not found" or, worse, a silently partial answer.
/// </summary>
public static class ErasedFiles
{
    /// <summary>The folder of the records, relative to the table.</summary>
    public const string Folder = "_erasures/";

    /// <summary>Records that erasure <paramref name="erasureId"/> removed <paramref name="keys"/> (table-relative data file keys).</summary>
    /// <param name="store">The table's store.</param>
    /// <param name="erasureId">The erasure's id, as its report names it.</param>
    /// <param name="erasedAt">When the erasure ran.</param>
    /// <param name="firstReadableVersion">The erasure's commit: the oldest version that references none of the files.</param>
    /// <param name="keys">The removed files.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public static Task WriteAsync(IObjectStore store, string erasureId, DateTimeOffset erasedAt, long firstReadableVersion, IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(erasureId);
        ArgumentNullException.ThrowIfNull(keys);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("id", erasureId);
            json.WriteString("erasedAt", erasedAt);
            json.WriteNumber("firstReadableVersion", firstReadableVersion);
            json.WriteStartArray("files");
            foreach (string key in keys)
            {
                json.WriteStringValue(key);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return store.PutAsync(Folder + erasureId + ".json", buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>
    /// Throws <see cref="ErrorCode.DeltaFileErased"/> when an erasure made <paramref name="version"/> unreadable by removing
    /// the log before its own commit; returns when none did (the version is missing for another reason).
    /// </summary>
    internal static async Task ThrowIfLogErasedAsync(IObjectStore store, long version, CancellationToken cancellationToken)
    {
        await foreach (ObjectInfo info in store.ListAsync(Folder, null, cancellationToken).ConfigureAwait(false))
        {
            if (info.Key.EndsWith(".json", StringComparison.Ordinal)
                && Parse(await store.ReadAllAsync(info.Key, cancellationToken).ConfigureAwait(false)) is { } by && by.FirstReadableVersion > version)
            {
                throw new MedallionException(ErrorCode.DeltaFileErased,
                    $"Version {version} of the Delta table at '{store.Location}' can no longer be read: erasure {by.Id} on {by.ErasedAt:yyyy-MM-dd HH:mm:ss}Z, a data subject request, removed the log before its commit (version {by.FirstReadableVersion}) so that no older commit or file still holds the person.\nHelp: read version {by.FirstReadableVersion} or later, where the erased person's rows are gone and every other row is kept.");
            }
        }
    }

    /// <summary>Throws when a planned file was removed by an erasure; reads nothing more than a listing when the table never had one.</summary>
    internal static async Task ThrowIfErasedAsync(IObjectStore store, long version, IReadOnlyList<ScanFile> files, CancellationToken cancellationToken)
    {
        Dictionary<string, Record>? erased = null;
        await foreach (ObjectInfo info in store.ListAsync(Folder, null, cancellationToken).ConfigureAwait(false))
        {
            if (!info.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            Record record = Parse(await store.ReadAllAsync(info.Key, cancellationToken).ConfigureAwait(false));

            erased ??= new Dictionary<string, Record>(StringComparer.Ordinal);
            foreach (string key in record.Files)
            {
                erased[key] = record;
            }
        }

        if (erased is null)
        {
            return;
        }

        foreach (ScanFile file in files)
        {
            if (erased.TryGetValue(file.Path, out Record? by))
            {
                int count = files.Count(f => erased.ContainsKey(f.Path));
                throw new MedallionException(ErrorCode.DeltaFileErased,
                    $"Version {version} of the Delta table at '{store.Location}' can no longer be read: {count} of its data files (e.g. '{file.Path}') were removed by erasure {by.Id} on {by.ErasedAt:yyyy-MM-dd HH:mm:ss}Z, a data subject request, so this version would be incomplete.\nHelp: read version {by.FirstReadableVersion} or later (the erasure's commit), where the erased person's rows are gone and every other row is kept.");
            }
        }
    }

    private static Record Parse(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        return new Record(
            root.GetProperty("id").GetString()!,
            root.GetProperty("erasedAt").GetDateTimeOffset(),
            root.GetProperty("firstReadableVersion").GetInt64(),
            [.. root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)]);
    }

    private sealed record Record(string Id, DateTimeOffset ErasedAt, long FirstReadableVersion, List<string> Files);
}
