using System;

namespace Medallion.Storage;

/// <summary>
/// When a remote store uploads a file in parts, and how large they are: a file larger than the threshold
/// (<c>MEDALLION_STORE_MULTIPART_THRESHOLD</c>, default 64 MiB) goes as an S3 multipart upload or as Azure blocks
/// committed by one block list, in parts of the part size (<c>MEDALLION_STORE_PART_SIZE</c>, default 16 MiB), several
/// at once; the part size is also the range of each parallel ranged read of a download. Both are sizes such as
/// <c>8MB</c>, set in the environment or a project's <c>storage_options</c>. Lower them for a slow or flaky link (a
/// failed part is retried alone) or to exercise the parts path with small files.
/// </summary>
public static class StoreUploadParts
{
    /// <summary>The threshold setting's name, in the environment or a project's <c>storage_options</c>.</summary>
    public const string ThresholdSettingName = "MEDALLION_STORE_MULTIPART_THRESHOLD";

    /// <summary>The part size setting's name, in the environment or a project's <c>storage_options</c>.</summary>
    public const string PartSizeSettingName = "MEDALLION_STORE_PART_SIZE";

    /// <summary>The threshold when none is set: 64 MiB.</summary>
    public const long DefaultThresholdBytes = 64L << 20;

    /// <summary>The part size when none is set: 16 MiB.</summary>
    public const long DefaultPartSizeBytes = 16L << 20;

    /// <summary>
    /// The size the setting <paramref name="settingName"/> says (<paramref name="value"/>), or <paramref name="defaultBytes"/>
    /// when it is empty.
    /// </summary>
    /// <param name="value">The setting's text.</param>
    /// <param name="settingName">Its name, for the message.</param>
    /// <param name="defaultBytes">The size when the setting is empty.</param>
    /// <param name="minBytes">The least size the store takes.</param>
    /// <param name="maxBytes">The largest size the store takes.</param>
    /// <param name="store">The service, for the message (<c>S3</c>, <c>Azure Blob Storage</c>).</param>
    /// <param name="location">The store it is for, for the message.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the value is not a size, or outside what the store takes.</exception>
    public static long Parse(string? value, string settingName, long defaultBytes, long minBytes, long maxBytes, string store, string location)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultBytes;
        }

        long bytes = ByteSize.Parse(value, $"{settingName} for '{location}'");
        if (bytes < minBytes || bytes > maxBytes)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{settingName} for '{location}' cannot be '{value.Trim()}': {store} takes {Describe(minBytes)} to {Describe(maxBytes)}.\nHelp: write a size in that range, e.g. 8MB.");
        }

        return bytes;
    }

    /// <summary>A size in the largest binary unit that divides it (<c>5 MiB</c>, <c>4000 MiB</c>), or in bytes.</summary>
    private static string Describe(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB" : bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % (1L << 10) == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";
}
