using System;
using System.Globalization;
using Medallion.Storage;

namespace Medallion.Delta.Log;

/// <summary>A recognised file of <c>_delta_log</c> with what its name says.</summary>
/// <param name="Info">The listed object.</param>
/// <param name="Kind">What kind of log file the name says it is.</param>
/// <param name="Version">The version in the name (the start version for compactions).</param>
/// <param name="Part">1-based part number of a multi-part checkpoint, else 1.</param>
/// <param name="Parts">Number of parts of a multi-part checkpoint, else 1.</param>
/// <param name="EndVersion">The end version of a compaction, else <paramref name="Version"/>.</param>
internal sealed record LogFile(ObjectInfo Info, LogFileKind Kind, long Version, int Part = 1, int Parts = 1, long EndVersion = -1)
{
    public const string LogDirectory = "_delta_log/";

    public string Key => Info.Key;

    public string FileName => Info.Key[(Info.Key.LastIndexOf('/') + 1)..];

    public bool IsCheckpoint => Kind is LogFileKind.ClassicCheckpoint or LogFileKind.MultiPartCheckpoint or LogFileKind.UuidCheckpoint;

    public bool IsJson => FileName.EndsWith(".json", StringComparison.Ordinal);

    public static string CommitKey(long version) => LogDirectory + version.ToString("D20", CultureInfo.InvariantCulture) + ".json";

    public static string CommitFileName(long version) => version.ToString("D20", CultureInfo.InvariantCulture) + ".json";

    /// <summary>Recognises a key directly inside <c>_delta_log/</c>; returns <see langword="null"/> for anything else (temp files, sidecars).</summary>
    public static LogFile? TryParse(ObjectInfo info)
    {
        string key = info.Key;
        if (!key.StartsWith(LogDirectory, StringComparison.Ordinal) || key.IndexOf('/', LogDirectory.Length) >= 0)
        {
            return null;
        }

        ReadOnlySpan<char> name = key.AsSpan(LogDirectory.Length);
        if (name.Length < 24 || !TryVersion(name[..20], out long version) || name[20] != '.')
        {
            return null;
        }

        ReadOnlySpan<char> rest = name[21..];
        if (rest.SequenceEqual("json"))
        {
            return new LogFile(info, LogFileKind.Commit, version, EndVersion: version);
        }

        if (rest.SequenceEqual("crc"))
        {
            return new LogFile(info, LogFileKind.Checksum, version, EndVersion: version);
        }

        if (rest.SequenceEqual("checkpoint.parquet"))
        {
            return new LogFile(info, LogFileKind.ClassicCheckpoint, version, EndVersion: version);
        }

        if (rest.StartsWith("checkpoint."))
        {
            ReadOnlySpan<char> tail = rest["checkpoint.".Length..];
            // Multi-part: 10-digit part, '.', 10-digit count, ".parquet".
            if (tail.Length == 29 && tail[10] == '.' && tail[21..].SequenceEqual(".parquet")
                && TryVersion(tail[..10], out long part) && TryVersion(tail[11..21], out long parts) && part >= 1 && part <= parts)
            {
                return new LogFile(info, LogFileKind.MultiPartCheckpoint, version, (int)part, (int)parts, version);
            }

            // UUID-named v2 checkpoint: a 36-character uuid then ".json" or ".parquet".
            if ((tail.EndsWith(".json") && tail.Length == 41) || (tail.EndsWith(".parquet") && tail.Length == 44))
            {
                if (Guid.TryParseExact(tail[..36], "D", out _))
                {
                    return new LogFile(info, LogFileKind.UuidCheckpoint, version, EndVersion: version);
                }
            }

            return null;
        }

        // Compaction: x.y.compacted.json
        if (rest.Length == 20 + ".compacted.json".Length && TryVersion(rest[..20], out long end) && rest[20..].SequenceEqual(".compacted.json") && end > version)
        {
            return new LogFile(info, LogFileKind.Compaction, version, EndVersion: end);
        }

        return null;
    }

    private static bool TryVersion(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
