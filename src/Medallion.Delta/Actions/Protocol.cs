using System;
using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>protocol</c> action: the reader and writer versions and table features a client needs.</summary>
/// <param name="MinReaderVersion">The minimum reader protocol version (1 to 3).</param>
/// <param name="MinWriterVersion">The minimum writer protocol version (1 to 7).</param>
/// <param name="ReaderFeatures">Reader table features (reader version 3 only), else <see langword="null"/>.</param>
/// <param name="WriterFeatures">Writer table features (writer version 7 only), else <see langword="null"/>.</param>
public sealed record Protocol(int MinReaderVersion, int MinWriterVersion, IReadOnlyList<string>? ReaderFeatures, IReadOnlyList<string>? WriterFeatures)
{
    /// <summary>True when <paramref name="feature"/> is listed in the reader features.</summary>
    public bool HasReaderFeature(string feature) => ReaderFeatures is { } f && Contains(f, feature);

    /// <summary>True when <paramref name="feature"/> is listed in the writer features.</summary>
    public bool HasWriterFeature(string feature) => WriterFeatures is { } f && Contains(f, feature);

    private static bool Contains(IReadOnlyList<string> list, string feature)
    {
        foreach (string f in list)
        {
            if (string.Equals(f, feature, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    internal static Protocol Parse(JsonElement e) => new(
        checked((int)e.RequiredLong("minReaderVersion")),
        checked((int)e.RequiredLong("minWriterVersion")),
        e.StringList("readerFeatures"),
        e.StringList("writerFeatures"));
}
