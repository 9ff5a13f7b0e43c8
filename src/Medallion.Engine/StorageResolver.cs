using System;
using System.IO;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine.Delta;
using Medallion.Storage;

namespace Medallion.Engine;

/// <summary>
/// Turns a table location (a local path or a URI) into the object store rooted at it and into its
/// <see cref="DeltaTable"/>. This is the one place that constructs stores: a new kind of store (S3, Azure) is
/// added here, and every command, model run, source load and SQL session gets it without changing.
/// </summary>
/// <remarks>
/// A location with a <c>scheme://</c> prefix is never taken as a local path: <c>file://</c> URIs map to the local
/// path they name, and every other scheme is refused with <see cref="ErrorCode.StorageUnsupportedLocation"/> until
/// a store for it exists, so <c>s3://bucket/table</c> can never end up in a local folder named <c>s3:</c>.
/// </remarks>
public static class StorageResolver
{
    /// <summary>Opens the store rooted at <paramref name="location"/>: a local path (relative to the current directory unless absolute) or a URI.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageUnsupportedLocation"/> when the location is a URI no store supports yet.</exception>
    public static IObjectStore OpenStore(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return new LocalObjectStore(LocalPath(location));
    }

    /// <summary>Opens the Delta table at <paramref name="location"/>, reading its Parquet checkpoints with DuckDB on <paramref name="connection"/> (open, owned by the caller).</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore"/>.</exception>
    public static DeltaTable OpenTable(string location, DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return OpenTable(location, new DuckDbParquetHandler(connection));
    }

    /// <summary>Opens the Delta table at <paramref name="location"/>, reading its Parquet checkpoints with <paramref name="parquet"/>.</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore"/>.</exception>
    public static DeltaTable OpenTable(string location, IParquetHandler parquet)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        return new DeltaTable(OpenStore(location), parquet);
    }

    /// <summary>Opens the Delta table rooted at <paramref name="store"/> (one <see cref="OpenStore"/> returned), reading its Parquet checkpoints with DuckDB on <paramref name="connection"/>.</summary>
    public static DeltaTable OpenTable(IObjectStore store, DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(connection);
        return new DeltaTable(store, new DuckDbParquetHandler(connection));
    }

    /// <summary>True when <paramref name="location"/> starts with a URI scheme (<c>s3://</c>, <c>file://</c>, ...) rather than being a path.</summary>
    public static bool IsUri(string location) => SchemeLength(location) > 0;

    private static string LocalPath(string location)
    {
        int schemeLength = SchemeLength(location);
        if (schemeLength == 0)
        {
            return Path.GetFullPath(location);
        }

        string scheme = location[..schemeLength].ToLowerInvariant();
        if (scheme == "file" && Uri.TryCreate(location, UriKind.Absolute, out Uri? uri) && uri.IsFile
            && (uri.Host.Length == 0 || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)))
        {
            return uri.LocalPath;
        }

        if (scheme == "file")
        {
            throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                $"The table location '{location}' is not a local file URI.\nHelp: write file:///absolute/path (three slashes, no host), or give the path itself.");
        }

        throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
            $"The table location '{location}' uses the scheme '{scheme}://', which is not supported yet: tables can only be stored on the local file system for now.\nHelp: give a local path (or a file:/// URI).");
    }

    /// <summary>The length of the URI scheme before <c>://</c> (RFC 3986: a letter, then letters, digits, <c>+</c>, <c>-</c>, <c>.</c>), or 0 when there is none.</summary>
    private static int SchemeLength(string location)
    {
        int end = location.IndexOf("://", StringComparison.Ordinal);
        if (end <= 0 || !char.IsAsciiLetter(location[0]))
        {
            return 0;
        }

        for (int i = 1; i < end; i++)
        {
            char c = location[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return 0;
            }
        }

        return end;
    }
}
