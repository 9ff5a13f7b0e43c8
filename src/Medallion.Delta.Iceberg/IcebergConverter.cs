using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Avro.Generic;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Storage;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// Writes a Delta snapshot's Iceberg metadata beside its log (Delta UniForm): a manifest of its data files with their
/// record counts and bounds by field id, a manifest list, and <c>metadata/v&lt;N&gt;.metadata.json</c>
/// whose <c>converted_delta_version</c> and <c>converted_delta_timestamp</c> properties name the Delta version it shows.
/// </summary>
/// <remarks>
/// Guarantees: the manifest and manifest list are written before the metadata file that names them, so a metadata file
/// never points at a missing file; a metadata file is created once and never overwritten; a conversion converts the
/// newest state given, however many Delta versions came since the newest converted one, so a failed conversion is made
/// good by the next. Files kept from the previous Iceberg snapshot keep their snapshot id and sequence numbers; files
/// gone since are listed as deleted in the new manifest. All I/O goes through the table's <see cref="IObjectStore"/>.
/// </remarks>
public static class IcebergConverter
{
    /// <summary>The folder of the table's Iceberg metadata, beside <c>_delta_log/</c>.</summary>
    public const string MetadataFolder = "metadata/";

    private const int MaxMetadataLog = 100;

    /// <summary>How many times a conversion that lost its metadata file to another writer reads theirs and tries again.</summary>
    private const int MaxAttempts = 5;

    /// <summary>The newest Iceberg metadata file of the table in <paramref name="store"/>; null when it has none.</summary>
    /// <param name="store">The table's store.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public static async Task<IcebergMetadataFile?> FindLatestAsync(IObjectStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? newest = null;
        long number = -1;
        await foreach (ObjectInfo info in store.ListAsync(MetadataFolder, null, cancellationToken).ConfigureAwait(false))
        {
            if (Number(info.Key) is long n && (n > number || (n == number && string.CompareOrdinal(info.Key, newest) > 0)))
            {
                (newest, number) = (info.Key, n);
            }
        }

        if (newest is null)
        {
            return null;
        }

        byte[] content = await store.ReadAllAsync(newest, cancellationToken).ConfigureAwait(false);
        return new IcebergMetadataFile(newest, number, Encoding.UTF8.GetString(content));
    }

    /// <summary>
    /// The <c>N</c> of a key <c>metadata/v&lt;N&gt;.metadata.json</c> (what this writer names them) or
    /// <c>metadata/v&lt;N&gt;-&lt;anything&gt;.metadata.json</c> (what it named them before); null for any other key.
    /// </summary>
    internal static long? Number(string key)
    {
        const string Suffix = ".metadata.json";
        if (!key.StartsWith(MetadataFolder + "v", StringComparison.Ordinal) || !key.EndsWith(Suffix, StringComparison.Ordinal) || key.IndexOf('/', MetadataFolder.Length) >= 0)
        {
            return null;
        }

        int start = MetadataFolder.Length + 1, end = key.IndexOf('-', start);
        end = end < 0 ? key.Length - Suffix.Length : end;
        return end > start && long.TryParse(key.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
    }

    /// <summary>The key of the table's <paramref name="number"/>th metadata file: one name per number, so that only one writer creates it.</summary>
    internal static string MetadataKey(long number) => $"{MetadataFolder}v{number.ToString(CultureInfo.InvariantCulture)}.metadata.json";

    /// <summary>
    /// Writes the Iceberg metadata of <paramref name="snapshot"/> unless the newest metadata already shows its version
    /// or a later one.
    /// </summary>
    /// <param name="table">The Delta table.</param>
    /// <param name="snapshot">A snapshot of it with its files (the newest, usually the one just committed).</param>
    /// <param name="tableUri">The table's root as a URI (<c>file:///...</c>, <c>s3://...</c>): Iceberg metadata names files by absolute location.</param>
    /// <param name="cancellationToken">Cancels the conversion; files written before it are unreferenced and harmless.</param>
    /// <returns>The newest metadata file after the call, and whether this call wrote it.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.UniFormConfigurationInvalid"/> when the table breaks a rule of UniForm;
    /// <see cref="ErrorCode.UniFormConversionFailed"/> when a file lacks what Iceberg needs, or when other writers created
    /// the metadata file this call meant to write first, time after time; a storage error when the store fails.
    /// </exception>
    public static async Task<(IcebergMetadataFile Metadata, bool Written)> ConvertAsync(DeltaTable table, Snapshot snapshot, string tableUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(tableUri);
        for (int attempt = 1; ; attempt++)
        {
            IcebergMetadataFile? previous = await FindLatestAsync(table.Store, cancellationToken).ConfigureAwait(false);
            if (previous is not null && previous.ConvertedDeltaVersion >= snapshot.Version)
            {
                // Converted already, by this writer or another that won the same metadata file: nothing is left to do.
                return (previous, false);
            }

            (IcebergMetadataFile? written, List<string> unreferenced) = await TryConvertAsync(table, snapshot, tableUri, previous, cancellationToken).ConfigureAwait(false);
            if (written is not null)
            {
                return (written, true);
            }

            // Another writer created the same metadata file first: the manifests written for it are referenced by
            // nothing. The next attempt reads what the other wrote and converts on top of it.
            foreach (string key in unreferenced)
            {
                await table.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            }

            if (attempt == MaxAttempts)
            {
                throw new MedallionException(ErrorCode.UniFormConversionFailed,
                    $"The Iceberg metadata of the Delta table at '{table.Location}' was written by other writers first {MaxAttempts} times in a row, each for a version before {snapshot.Version}.\nHelp: the Delta commit stands; the next commit (or the catch-up) converts again.");
            }
        }
    }

    /// <summary>
    /// Writes the metadata of <paramref name="snapshot"/> on top of <paramref name="previous"/>: the file written, or
    /// null with the manifests written for it when another writer created the same metadata file first.
    /// </summary>
    private static async Task<(IcebergMetadataFile? Written, List<string> Unreferenced)> TryConvertAsync(
        DeltaTable table, Snapshot snapshot, string tableUri, IcebergMetadataFile? previous, CancellationToken cancellationToken)
    {
        IObjectStore store = table.Store;
        UniForm.Validate(snapshot.Metadata.Configuration, snapshot.Schema, snapshot.PartitionColumns, $"the Delta table at '{table.Location}'");
        string root = tableUri.TrimEnd('/');
        IcebergSchema schema = IcebergSchema.Of(snapshot.Schema, snapshot.ColumnMappingMode, table.Location);
        using JsonDocument? previousDocument = previous is null ? null : JsonDocument.Parse(previous.Json);
        var state = PreviousState.Of(previousDocument?.RootElement);
        Dictionary<string, KnownFile> known = await KnownFilesAsync(store, root, state, cancellationToken).ConfigureAwait(false);

        int schemaId = state.SchemaIdOf(schema.FieldsJson) ?? state.NextSchemaId;
        long sequence = state.LastSequenceNumber + 1;
        long snapshotId = NewSnapshotId(state);
        var plan = new ConversionPlan(snapshotId, sequence, schemaId, schema, table.Location);
        foreach (ScanFile file in snapshot.Files)
        {
            plan.Add(file, Location(root, file), known);
        }

        plan.AddDeleted(known);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var written = new List<string>();
        string? manifestList = null;
        if (plan.Changed || (state.CurrentSnapshotId is null && plan.Entries.Count > 0))
        {
            manifestList = await WriteManifestsAsync(store, root, plan, state, written, cancellationToken).ConfigureAwait(false);
        }

        // The commit's time as readers of the log see it (its file's modification time), not the writer's clock.
        string commitKey = "_delta_log/" + snapshot.Version.ToString("D20", CultureInfo.InvariantCulture) + ".json";
        DateTimeOffset committedAt = (await store.GetInfoAsync(commitKey, cancellationToken).ConfigureAwait(false))?.LastModified ?? snapshot.Timestamp;
        long number = (previous?.Number ?? 0) + 1;
        string key = MetadataKey(number);
        byte[] json = MetadataJson.Write(new MetadataJson.Input(
            snapshot, committedAt, root, previous is null ? null : root + "/" + previous.Key, state, plan, manifestList, now));
        return await store.PutIfAbsentAsync(key, json, cancellationToken).ConfigureAwait(false)
            ? (new IcebergMetadataFile(key, number, Encoding.UTF8.GetString(json)), [])
            : (null, written);
    }

    private static string Location(string root, ScanFile file) =>
        file.ExternalPath is { } external
            ? (Path.IsPathRooted(external) ? new Uri(external).AbsoluteUri : external)
            : root + "/" + file.Path;

    private static long NewSnapshotId(PreviousState state)
    {
        Span<byte> bytes = stackalloc byte[8];
        long id;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToInt64(bytes) & long.MaxValue;
        }
        while (id == 0 || state.SnapshotIds.Contains(id));

        return id;
    }

    /// <summary>The live files of the previous Iceberg snapshot, by location, with the snapshot and sequence numbers they were added with.</summary>
    private static async Task<Dictionary<string, KnownFile>> KnownFilesAsync(IObjectStore store, string root, PreviousState state, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, KnownFile>(StringComparer.Ordinal);
        if (state.CurrentManifestList is not { } list || Key(root, list) is not { } listKey)
        {
            return known;
        }

        try
        {
            await ReadKnownFilesAsync(store, root, listKey, known, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Avro.AvroException or InvalidCastException or KeyNotFoundException)
        {
            throw new MedallionException(ErrorCode.UniFormConversionFailed,
                $"The Iceberg manifests of the current snapshot of '{root}' are unreadable ({e.Message}).\nHelp: the Delta table is unchanged; remove the table's metadata/ folder and convert again to start its Iceberg history afresh.", e);
        }

        return known;
    }

    private static async Task ReadKnownFilesAsync(IObjectStore store, string root, string listKey, Dictionary<string, KnownFile> known, CancellationToken cancellationToken)
    {
        (List<GenericRecord> manifests, _) = AvroContainer.Read(await store.ReadAllAsync(listKey, cancellationToken).ConfigureAwait(false));
        foreach (GenericRecord manifest in manifests)
        {
            if (Key(root, (string)manifest["manifest_path"]) is not { } manifestKey)
            {
                continue;
            }

            long manifestSequence = (long)manifest["sequence_number"], addedBy = (long)manifest["added_snapshot_id"];
            (List<GenericRecord> entries, _) = AvroContainer.Read(await store.ReadAllAsync(manifestKey, cancellationToken).ConfigureAwait(false));
            foreach (GenericRecord entry in entries)
            {
                if ((int)entry["status"] == ManifestStatus.Deleted)
                {
                    continue;
                }

                var dataFile = (GenericRecord)entry["data_file"];
                known[(string)dataFile["file_path"]] = new KnownFile(
                    entry["snapshot_id"] as long? ?? addedBy,
                    entry["sequence_number"] as long? ?? manifestSequence,
                    entry["file_sequence_number"] as long? ?? manifestSequence,
                    (long)dataFile["record_count"],
                    (long)dataFile["file_size_in_bytes"]);
            }
        }
    }

    /// <summary>The store key of a location under the table root; null for one elsewhere (a table moved since).</summary>
    private static string? Key(string root, string location) =>
        location.StartsWith(root + "/", StringComparison.Ordinal) ? location[(root.Length + 1)..] : null;

    private static async Task<string> WriteManifestsAsync(IObjectStore store, string root, ConversionPlan plan, PreviousState state, List<string> written, CancellationToken cancellationToken)
    {
        string schemaJson = MetadataJson.SchemaJson(plan.SchemaId, plan.Schema);
        var manifestMeta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["schema"] = schemaJson,
            ["schema-id"] = plan.SchemaId.ToString(CultureInfo.InvariantCulture),
            ["partition-spec"] = "[]",
            ["partition-spec-id"] = "0",
            ["format-version"] = "2",
            ["content"] = "data",
        };
        var lists = new List<GenericRecord>();
        if (plan.Entries.Count > 0)
        {
            byte[] manifest = AvroContainer.Write(ManifestSchemas.ManifestEntryJson, ManifestSchemas.ManifestEntry, manifestMeta, plan.Entries);
            string manifestKey = $"{MetadataFolder}{Guid.NewGuid()}-m0.avro";
            await store.PutAsync(manifestKey, manifest, cancellationToken).ConfigureAwait(false);
            written.Add(manifestKey);
            lists.Add(plan.ManifestFile(root + "/" + manifestKey, manifest.Length));
        }

        var listMeta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["snapshot-id"] = plan.SnapshotId.ToString(CultureInfo.InvariantCulture),
            ["parent-snapshot-id"] = state.CurrentSnapshotId?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["sequence-number"] = plan.SequenceNumber.ToString(CultureInfo.InvariantCulture),
            ["format-version"] = "2",
        };
        byte[] list = AvroContainer.Write(ManifestSchemas.ManifestFileJson, ManifestSchemas.ManifestFile, listMeta, lists);
        string listKey = $"{MetadataFolder}snap-{plan.SnapshotId.ToString(CultureInfo.InvariantCulture)}-1-{Guid.NewGuid()}.avro";
        await store.PutAsync(listKey, list, cancellationToken).ConfigureAwait(false);
        written.Add(listKey);
        return root + "/" + listKey;
    }
}

/// <summary>A manifest entry's status (Iceberg spec, "Manifests": 0 existing, 1 added, 2 deleted).</summary>
internal static class ManifestStatus
{
    public const int Existing = 0;
    public const int Added = 1;
    public const int Deleted = 2;
}

/// <summary>A live file of the previous Iceberg snapshot: who added it, with which sequence numbers, its rows and size.</summary>
internal sealed record KnownFile(long SnapshotId, long SequenceNumber, long FileSequenceNumber, long RecordCount, long SizeBytes);
