using System.Collections;

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

/// <summary>The common part of every event.</summary>
/// <param name="Timestamp">Seconds since the epoch when the statement began (the transaction's start for its GTID event).</param>
/// <param name="Type">The event type.</param>
/// <param name="ServerId">The server that wrote the event first.</param>
/// <param name="Size">The event's length in bytes, header and checksum included.</param>
/// <param name="Flags">The event's flags.</param>
/// <param name="NextPosition">The position of the next event in the same file: where a reader resumes after this one (0 for artificial events).</param>
internal readonly record struct BinlogEventHeader(uint Timestamp, BinlogEventType Type, uint ServerId, uint Size, uint NextPosition, ushort Flags)
{
    public const int Length = 19;
}

/// <summary>A parsed event; events the reader does not act on have no subclass.</summary>
internal abstract record BinlogEvent(BinlogEventHeader Header);

internal sealed record OtherEvent(BinlogEventHeader Header) : BinlogEvent(Header);

internal sealed record RotateEvent(BinlogEventHeader Header, string File, ulong Position) : BinlogEvent(Header);

internal sealed record XidEvent(BinlogEventHeader Header, ulong Xid) : BinlogEvent(Header);

internal sealed record QueryEvent(BinlogEventHeader Header, string Database, string Sql) : BinlogEvent(Header);

/// <summary>MariaDB's GTID event: it opens a transaction (or, standalone, is one statement such as DDL).</summary>
internal sealed record GtidEvent(BinlogEventHeader Header, uint Domain, ulong Sequence, bool Standalone) : BinlogEvent(Header)
{
    /// <summary>The GTID as MariaDB writes it: domain-server-sequence.</summary>
    public string Text => $"{Domain}-{Header.ServerId}-{Sequence}";
}

/// <summary>Describes a table's columns as the rows events that follow encode them.</summary>
/// <param name="Header">The event header.</param>
/// <param name="TableId">The number the rows events use for the table until the next map of it.</param>
/// <param name="Database">The table's database.</param>
/// <param name="Table">The table.</param>
/// <param name="Types">The binlog type code of each column.</param>
/// <param name="Metadata">Each column's type metadata (lengths, precision, ...) as one number; see <see cref="BinlogRowDecoder"/>.</param>
internal sealed record TableMapEvent(BinlogEventHeader Header, ulong TableId, string Database, string Table, byte[] Types, int[] Metadata) : BinlogEvent(Header);

internal enum RowsKind
{
    Insert,
    Update,
    Delete,
}

/// <summary>The rows of one insert, update or delete of a mapped table; <see cref="Body"/>[<see cref="RowsStart"/>..] holds them.</summary>
internal sealed record RowsEvent(BinlogEventHeader Header, RowsKind Kind, ulong TableId, int ColumnCount, BitArray Present, BitArray? PresentAfter, byte[] Body, int RowsStart, int RowsEnd) : BinlogEvent(Header);
