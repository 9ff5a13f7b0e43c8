using System;
using System.Collections.Generic;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Snapshots;

/// <summary>Which reader protocol versions and reader features this kernel supports, and what a protocol turns on.</summary>
internal static class TableFeatures
{
    public const int MaxReaderVersion = 3;

    /// <summary>Reader features this reader implements.</summary>
    public static readonly IReadOnlySet<string> SupportedReaderFeatures = new HashSet<string>(StringComparer.Ordinal)
    {
        "columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "typeWidening", "typeWidening-preview",
    };

    /// <summary>Throws when the table needs something this reader does not implement.</summary>
    public static void EnsureReadable(Protocol protocol, string location)
    {
        if (protocol.MinReaderVersion > MaxReaderVersion || protocol.MinReaderVersion < 1)
        {
            throw new MedallionException(ErrorCode.DeltaUnsupportedReaderFeature,
                $"The Delta table at '{location}' needs reader protocol version {protocol.MinReaderVersion}; this reader supports versions 1 to {MaxReaderVersion}.\nHelp: upgrade Medallion, or read the table with a client that supports reader version {protocol.MinReaderVersion}.");
        }

        if (protocol.MinReaderVersion == 3 && protocol.ReaderFeatures is { } features)
        {
            foreach (string feature in features)
            {
                if (!SupportedReaderFeatures.Contains(feature))
                {
                    throw new MedallionException(ErrorCode.DeltaUnsupportedReaderFeature,
                        $"The Delta table at '{location}' uses the reader feature '{feature}', which this reader does not support (supported: {string.Join(", ", Sorted(SupportedReaderFeatures))}).\nHelp: upgrade Medallion, or read the table with a client that supports '{feature}'.");
                }
            }
        }
    }

    /// <summary>The column mapping mode, honoured only when the protocol enables column mapping.</summary>
    public static ColumnMappingMode GetColumnMappingMode(Protocol protocol, Metadata metadata)
    {
        bool enabled = protocol.MinReaderVersion == 2 || (protocol.MinReaderVersion == 3 && protocol.HasReaderFeature("columnMapping"));
        if (!enabled || !metadata.Configuration.TryGetValue("delta.columnMapping.mode", out string? mode) || mode is null)
        {
            return ColumnMappingMode.None;
        }

        return mode.ToLowerInvariant() switch
        {
            "name" => ColumnMappingMode.Name,
            "id" => ColumnMappingMode.Id,
            _ => ColumnMappingMode.None,
        };
    }

    /// <summary>True when in-commit timestamps are on: commit times come from <c>commitInfo.inCommitTimestamp</c>.</summary>
    public static bool InCommitTimestampsEnabled(Metadata metadata) =>
        metadata.Configuration.TryGetValue("delta.enableInCommitTimestamps", out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);

    private static List<string> Sorted(IReadOnlySet<string> set)
    {
        var list = new List<string>(set);
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
