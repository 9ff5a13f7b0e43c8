using System;

namespace Medallion.Storage;

/// <summary>The parts of an object store URI (<c>s3://bucket/prefix</c>, <c>gs://bucket/prefix</c>, <c>abfss://container@host/prefix</c>), as every store reads them.</summary>
public static class StoreUri
{
    /// <summary>
    /// Splits <paramref name="uri"/> into its scheme (lower case, empty when it has none), its authority (the bucket or
    /// container, with what follows it up to the first <c>/</c>) and its prefix (without leading or trailing <c>/</c>);
    /// false when the authority is empty or the prefix has an empty segment.
    /// </summary>
    public static bool TrySplit(string uri, out string scheme, out string authority, out string prefix)
    {
        ArgumentNullException.ThrowIfNull(uri);
        int schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        scheme = schemeEnd < 0 ? string.Empty : uri[..schemeEnd].ToLowerInvariant();
        string rest = schemeEnd < 0 ? uri : uri[(schemeEnd + 3)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        authority = slash < 0 ? rest : rest[..slash];
        prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        return authority.Length > 0 && !prefix.Contains("//", StringComparison.Ordinal);
    }
}
