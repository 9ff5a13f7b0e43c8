namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>A statement logged as text: BEGIN, COMMIT and ROLLBACK around non-transactional changes, and DDL.</summary>
internal sealed record QueryEvent(BinlogEventHeader Header, string Database, string Sql) : BinlogEvent(Header);
