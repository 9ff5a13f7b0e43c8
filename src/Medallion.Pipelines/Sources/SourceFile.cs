using System;

namespace Medallion.Pipelines.Sources;

/// <summary>A file to load: where it is and what it looked like when listed; the hash is filled by the pass that reads it.</summary>
internal sealed class SourceFile(string relative, string absolute, long size, DateTimeOffset modified)
{
    public string Relative { get; } = relative;

    public string Absolute { get; } = absolute;

    public long Size { get; } = size;

    public DateTimeOffset Modified { get; } = modified;

    public string? Sha256 { get; set; }
}
