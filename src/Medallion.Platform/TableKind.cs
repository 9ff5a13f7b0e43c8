namespace Medallion.Platform;

/// <summary>Where a table comes from.</summary>
public enum TableKind
{
    /// <summary>A file source's target (bronze).</summary>
    Source,

    /// <summary>A SQL model.</summary>
    Model,

    /// <summary>The rows a model's <c>quarantine</c> rules set aside.</summary>
    Quarantine,

    /// <summary>Known only to the catalog or the storage (e.g. a table another tool wrote, or one an ad-hoc ingest registered).</summary>
    Other,
}
