namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>A parsed event: one record per event type the reader acts on, <see cref="OtherEvent"/> for the rest.</summary>
internal abstract record BinlogEvent(BinlogEventHeader Header);
