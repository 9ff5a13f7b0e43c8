namespace Medallion.Delta.Log;

/// <summary>The kinds of files in <c>_delta_log</c> that replay understands; everything else is ignored.</summary>
internal enum LogFileKind
{
    /// <summary><c>n.json</c></summary>
    Commit,
    /// <summary><c>n.checkpoint.parquet</c> (v1 or v2 spec)</summary>
    ClassicCheckpoint,
    /// <summary><c>n.checkpoint.o.p.parquet</c></summary>
    MultiPartCheckpoint,
    /// <summary><c>n.checkpoint.uuid.json</c> or <c>n.checkpoint.uuid.parquet</c></summary>
    UuidCheckpoint,
    /// <summary><c>x.y.compacted.json</c></summary>
    Compaction,
    /// <summary><c>n.crc</c>, a version checksum: not part of any version's state, which the commits alone make.</summary>
    Checksum,
}
