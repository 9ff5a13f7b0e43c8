namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The binlog continues in <see cref="File"/> at <see cref="Position"/> (also sent first by every dump, with no position of its own).</summary>
internal sealed record RotateEvent(BinlogEventHeader Header, string File, ulong Position) : BinlogEvent(Header);
