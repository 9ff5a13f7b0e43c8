using System;
using System.Globalization;

namespace Medallion.Storage;

/// <summary>Sizes as people write them in settings: <c>20GB</c>, <c>512MB</c>, <c>1.5TB</c> or a number of bytes (units are powers of 1024).</summary>
public static class ByteSize
{
    /// <summary>Reads <paramref name="text"/> as a positive size in bytes.</summary>
    /// <param name="text">The size's text.</param>
    /// <param name="where">Where it was written (a setting's name, a file and key), for the message.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the text is not a positive size.</exception>
    public static long Parse(string text, string where)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToUpperInvariant();
        (string Suffix, long Factor)[] units = [("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10), ("B", 1)];
        long factor = 1;
        foreach ((string suffix, long f) in units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                t = t[..^suffix.Length].TrimEnd();
                factor = f;
                break;
            }
        }

        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || number <= 0 || number * factor > long.MaxValue)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{where}: '{text}' is not a size.\nHelp: write a positive number of bytes or a number with KB, MB, GB or TB, e.g. 20GB.");
        }

        return (long)(number * factor);
    }
}
