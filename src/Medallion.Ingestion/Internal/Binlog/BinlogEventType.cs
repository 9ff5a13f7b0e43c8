namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>Binlog event type codes (https://mariadb.com/kb/en/2-binlog-event-header/), those the reader acts on.</summary>
internal enum BinlogEventType : byte
{
    Query = 2,
    Stop = 3,
    Rotate = 4,
    FormatDescription = 15,
    Xid = 16,
    TableMap = 19,
    WriteRowsV1 = 23,
    UpdateRowsV1 = 24,
    DeleteRowsV1 = 25,
    Heartbeat = 27,
    WriteRowsV2 = 30,
    UpdateRowsV2 = 31,
    DeleteRowsV2 = 32,
    AnnotateRows = 160,
    BinlogCheckpoint = 161,
    MariaDbGtid = 162,
    MariaDbGtidList = 163,
    StartEncryption = 164,
    // MariaDB's compressed events (log_bin_compress): 165 query, 166-171 rows v1 and v2.
    CompressedQuery = 165,
    CompressedRowsFirst = 166,
    CompressedRowsLast = 171,
}
