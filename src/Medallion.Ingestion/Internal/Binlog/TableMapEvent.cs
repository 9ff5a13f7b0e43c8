namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>Describes a table's columns as the rows events that follow encode them.</summary>
/// <param name="Header">The event header.</param>
/// <param name="TableId">The number the rows events use for the table until the next map of it.</param>
/// <param name="Database">The table's database.</param>
/// <param name="Table">The table.</param>
/// <param name="Types">The binlog type code of each column.</param>
/// <param name="Metadata">Each column's type metadata (lengths, precision, ...) as one number; see <see cref="BinlogRowDecoder"/>.</param>
internal sealed record TableMapEvent(BinlogEventHeader Header, ulong TableId, string Database, string Table, byte[] Types, int[] Metadata) : BinlogEvent(Header);
