namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The commit of a transaction of a transactional table: the point a batch may end at.</summary>
internal sealed record XidEvent(BinlogEventHeader Header, ulong Xid) : BinlogEvent(Header);
