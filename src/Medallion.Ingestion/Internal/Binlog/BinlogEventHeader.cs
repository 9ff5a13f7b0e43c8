namespace Medallion.Ingestion.Internal.Binlog;

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
