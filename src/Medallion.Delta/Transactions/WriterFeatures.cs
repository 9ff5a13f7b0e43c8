using System;
using System.Collections.Generic;
using System.Globalization;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Transactions;

/// <summary>
/// Protocol honesty for writers (PROTOCOL.md "Protocol Evolution", "Table Features"): which writer features this
/// writer supports, the lowest protocol a table's metadata needs, and the refusal to write tables that need more.
/// </summary>
public static class WriterFeatures
{
    /// <summary>The highest writer protocol version this writer supports (7: table features).</summary>
    public const int MaxWriterVersion = 7;

    /// <summary>
    /// Writer features this writer honours. <c>invariants</c> and <c>identityColumns</c> are honoured only while no
    /// column uses them (checked separately), since they are implied by legacy writer versions. Generated columns are
    /// computed and checked on every write (the engine evaluates <c>delta.generationExpression</c>).
    /// </summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "appendOnly", "invariants", "checkConstraints", "changeDataFeed", "columnMapping", "deletionVectors",
        "timestampNtz", "domainMetadata", "vacuumProtocolCheck", "typeWidening", "typeWidening-preview",
        "generatedColumns", "identityColumns", "icebergCompatV2",
    };

    /// <summary>Features with a reader side: they go into both lists at reader version 3 / writer version 7.</summary>
    private static readonly IReadOnlySet<string> s_readerWriter = new HashSet<string>(StringComparer.Ordinal)
    {
        "columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "typeWidening",
    };

    /// <summary>Throws unless this writer can write the table with <paramref name="protocol"/> and <paramref name="schema"/>.</summary>
    /// <param name="protocol">The table's protocol.</param>
    /// <param name="schema">The table's schema (legacy features in use are found there).</param>
    /// <param name="location">The table location, for the message.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaUnsupportedWriterFeature"/> when the table needs a writer version or feature this writer does not support.</exception>
    public static void EnsureWritable(Protocol protocol, StructType schema, string location)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(schema);
        if (protocol.MinWriterVersion > MaxWriterVersion || protocol.MinWriterVersion < 1)
        {
            throw new MedallionException(ErrorCode.DeltaUnsupportedWriterFeature,
                $"The Delta table at '{location}' needs writer protocol version {protocol.MinWriterVersion}; this writer supports versions 1 to {MaxWriterVersion}.\nHelp: write the table with a client that supports writer version {protocol.MinWriterVersion}.");
        }

        if (protocol.MinWriterVersion == 7)
        {
            foreach (string feature in protocol.WriterFeatures ?? [])
            {
                if (!Supported.Contains(feature))
                {
                    throw Unsupported(feature, location);
                }
            }
        }

        // Legacy versions imply features; refuse only the ones the table actually uses and we cannot maintain.
        if (SchemaSerializer.AnyField(schema, f => f.Metadata.ContainsKey("delta.identity.start") || f.Metadata.ContainsKey("delta.identity.step")))
        {
            throw Unsupported("identityColumns", location);
        }

        if (SchemaSerializer.AnyField(schema, f => f.Metadata.ContainsKey("delta.invariants")))
        {
            throw Unsupported("invariants", location);
        }
    }

    private static MedallionException Unsupported(string feature, string location)
    {
        var supported = new List<string>(Supported);
        supported.Sort(StringComparer.Ordinal);
        return new MedallionException(ErrorCode.DeltaUnsupportedWriterFeature,
            $"The Delta table at '{location}' uses the writer feature '{feature}', which this writer does not support (supported: {string.Join(", ", supported)}).\nHelp: the table can still be read; write it with a client that supports '{feature}'.");
    }

    /// <summary>
    /// The lowest protocol that covers what <paramref name="metadata"/> and its schema use, never lower than
    /// <paramref name="current"/> (a protocol is never downgraded) and keeping features <paramref name="current"/> lists.
    /// <paramref name="writesDomainMetadata"/> adds the <c>domainMetadata</c> writer feature a commit with
    /// <c>domainMetadata</c> actions needs.
    /// </summary>
    internal static Protocol Required(Metadata metadata, StructType schema, Protocol? current, bool writesDomainMetadata = false)
    {
        var features = new SortedSet<string>(StringComparer.Ordinal);
        if (writesDomainMetadata)
        {
            features.Add("domainMetadata");
        }

        IReadOnlyDictionary<string, string?> config = metadata.Configuration;
        if (IsTrue(config, "delta.appendOnly"))
        {
            features.Add("appendOnly");
        }

        foreach (string key in config.Keys)
        {
            if (key.StartsWith("delta.constraints.", StringComparison.Ordinal))
            {
                features.Add("checkConstraints");
                break;
            }
        }

        if (IsTrue(config, "delta.enableChangeDataFeed"))
        {
            features.Add("changeDataFeed");
        }

        if (config.TryGetValue("delta.columnMapping.mode", out string? mode) && mode is not null && !string.Equals(mode, "none", StringComparison.OrdinalIgnoreCase))
        {
            features.Add("columnMapping");
        }

        if (IsTrue(config, "delta.enableDeletionVectors"))
        {
            features.Add("deletionVectors");
        }

        // PROTOCOL.md "Iceberg Compatibility V2": a writer feature only, at writer version 7; its rules (column mapping,
        // no deletion vectors) are the engine's to keep.
        if (IsTrue(config, "delta.enableIcebergCompatV2"))
        {
            features.Add("icebergCompatV2");
        }

        if (SchemaSerializer.AnyField(schema, f => f.Metadata.ContainsKey("delta.generationExpression")))
        {
            features.Add("generatedColumns");
        }

        if (SchemaSerializer.UsesPrimitive(schema, "timestamp_ntz"))
        {
            features.Add("timestampNtz");
        }

        // Features the current protocol already lists stay (a protocol never loses a feature by a write).
        if (current is not null)
        {
            foreach (string f in current.WriterFeatures ?? [])
            {
                features.Add(f);
            }

            foreach (string f in current.ReaderFeatures ?? [])
            {
                features.Add(f);
            }
        }

        return Lowest(features, current);
    }

    private static Protocol Lowest(SortedSet<string> features, Protocol? current)
    {
        // Legacy versions (PROTOCOL.md "Table Features for New and Existing Tables"): writer 2 appendOnly+invariants,
        // 3 checkConstraints, 4 changeDataFeed+generatedColumns, 5 columnMapping, 6 identityColumns; reader 2 columnMapping.
        int writer = 1, reader = 1;
        bool needsFeatureLists = false;
        foreach (string f in features)
        {
            switch (f)
            {
                case "appendOnly" or "invariants":
                    writer = Math.Max(writer, 2);
                    break;
                case "checkConstraints":
                    writer = Math.Max(writer, 3);
                    break;
                case "changeDataFeed" or "generatedColumns":
                    writer = Math.Max(writer, 4);
                    break;
                case "columnMapping":
                    writer = Math.Max(writer, 5);
                    reader = Math.Max(reader, 2);
                    break;
                case "identityColumns":
                    writer = Math.Max(writer, 6);
                    break;
                default:
                    needsFeatureLists = true;
                    break;
            }
        }

        if (current is not null)
        {
            needsFeatureLists |= current.MinWriterVersion == 7;
            if (!needsFeatureLists)
            {
                writer = Math.Max(writer, current.MinWriterVersion);
                reader = Math.Max(reader, current.MinReaderVersion);
            }
        }

        if (!needsFeatureLists)
        {
            return new Protocol(reader, writer, null, null);
        }

        // Writer version 7: every feature in use is listed, legacy ones included; reader features only for
        // features with a reader side, and reader version 3 only when there is one.
        var writerFeatures = new List<string>(features);
        if (current is { MinWriterVersion: < 7 } legacy)
        {
            AddLegacyWriterFeatures(legacy.MinWriterVersion, writerFeatures);
        }

        writerFeatures.Sort(StringComparer.Ordinal);
        var readerFeatures = new List<string>();
        foreach (string f in writerFeatures)
        {
            if (s_readerWriter.Contains(f))
            {
                readerFeatures.Add(f);
            }
        }

        bool onlyColumnMapping = readerFeatures.Count == 1 && readerFeatures[0] == "columnMapping";
        if (readerFeatures.Count == 0 || onlyColumnMapping)
        {
            int legacyReader = Math.Max(onlyColumnMapping ? 2 : 1, current is { MinReaderVersion: < 3 } c ? c.MinReaderVersion : 1);
            return new Protocol(legacyReader, 7, null, Distinct(writerFeatures));
        }

        return new Protocol(3, 7, readerFeatures, Distinct(writerFeatures));
    }

    private static void AddLegacyWriterFeatures(int version, List<string> into)
    {
        if (version >= 2)
        {
            into.Add("appendOnly");
            into.Add("invariants");
        }

        if (version >= 3)
        {
            into.Add("checkConstraints");
        }

        if (version >= 4)
        {
            into.Add("changeDataFeed");
            into.Add("generatedColumns");
        }

        if (version >= 5)
        {
            into.Add("columnMapping");
        }

        if (version >= 6)
        {
            into.Add("identityColumns");
        }
    }

    private static List<string> Distinct(List<string> sorted)
    {
        var result = new List<string>(sorted.Count);
        foreach (string s in sorted)
        {
            if (result.Count == 0 || result[^1] != s)
            {
                result.Add(s);
            }
        }

        return result;
    }

    /// <summary>Whether the table property <paramref name="key"/> of <paramref name="config"/> is <c>true</c> (case-insensitive), as Delta reads boolean properties.</summary>
    public static bool IsTrue(IReadOnlyDictionary<string, string?> config, string key) =>
        config.TryGetValue(key, out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A table property as a positive integer, or <paramref name="fallback"/> when absent, invalid or not positive.</summary>
    public static int IntProperty(IReadOnlyDictionary<string, string?> config, string key, int fallback) =>
        config.TryGetValue(key, out string? v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : fallback;
}
