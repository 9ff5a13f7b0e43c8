namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>MariaDB's GTID event: it opens a transaction (or, standalone, is one statement such as DDL).</summary>
internal sealed record GtidEvent(BinlogEventHeader Header, uint Domain, ulong Sequence, bool Standalone) : BinlogEvent(Header)
{
    /// <summary>The GTID as MariaDB writes it: domain-server-sequence.</summary>
    public string Text => $"{Domain}-{Header.ServerId}-{Sequence}";
}
