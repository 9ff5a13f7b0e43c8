namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>An event the reader skips (format description, annotations, checkpoints, heartbeats, GTID lists, ...).</summary>
internal sealed record OtherEvent(BinlogEventHeader Header) : BinlogEvent(Header);
