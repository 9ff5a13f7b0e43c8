using System;
using System.IO;
using Medallion.Storage;

namespace Medallion.Delta.Internal;

/// <summary>
/// Turns log paths into store keys. <c>add.path</c> and friends are RFC 2396 URIs: relative to the table
/// root or absolute; they are percent-decoded exactly once.
/// </summary>
internal static class TablePaths
{
    /// <summary>
    /// True when the (still encoded) path is an absolute URI or an absolute file path. A URI scheme is a letter
    /// followed by letters, digits, '+', '-' or '.' (RFC 2396); writers leave colons unescaped in relative paths
    /// such as <c>time=1971-07-22T03:06:40.000000Z/part-0.parquet</c>, which therefore stay relative.
    /// </summary>
    public static bool IsAbsolute(string path)
    {
        if (path.StartsWith('/'))
        {
            return true;
        }

        int colon = path.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2 || !char.IsAsciiLetter(path[0]))
        {
            return false;
        }

        foreach (char c in path.AsSpan(1, colon - 1))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decodes a log path once.</summary>
    public static string Decode(string path) => Uri.UnescapeDataString(path);

    /// <summary>
    /// The store key for a log path: the decoded relative path, or for an absolute path inside the table
    /// root the part after the root; <see langword="null"/> for an absolute path elsewhere.
    /// </summary>
    public static string? ToKey(IObjectStore store, string path)
    {
        if (!IsAbsolute(path))
        {
            return Decode(path);
        }

        string local = path.StartsWith("file:", StringComparison.Ordinal) ? new Uri(path).LocalPath : Decode(path);
        string root = store.Location.TrimEnd('/') + "/";
        return local.StartsWith(root, StringComparison.Ordinal) ? local[root.Length..] : null;
    }

    /// <summary>
    /// The path or URI a reader opens for a log path outside the table root (decoded; a <c>file:</c> URI as its path);
    /// <see langword="null"/> for a path in the table, which is the object <see cref="ToKey"/> names in the store.
    /// </summary>
    public static string? ToExternal(IObjectStore store, string path)
    {
        if (!IsAbsolute(path) || ToKey(store, path) is not null)
        {
            return null;
        }

        return path.StartsWith("file:", StringComparison.Ordinal) ? new Uri(path).LocalPath : Decode(path);
    }

    /// <summary>The file name of a log path, decoded.</summary>
    public static string FileName(string path) => Path.GetFileName(Decode(path));
}
