using System.Collections;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The rows of one insert, update or delete of a mapped table; <see cref="Body"/>[<see cref="RowsStart"/>..] holds them.</summary>
internal sealed record RowsEvent(BinlogEventHeader Header, RowsKind Kind, ulong TableId, int ColumnCount, BitArray Present, BitArray? PresentAfter, byte[] Body, int RowsStart, int RowsEnd) : BinlogEvent(Header);
