using System.Buffers;
using System.Globalization;

namespace Medallion.PgWire.Protocol;

/// <summary>
/// Cuts frontend messages out of the received bytes. A message whose bytes have not all arrived is
/// left in the buffer untouched (the methods return false and consume nothing); a length that
/// breaks the protocol or the size limit throws before its body is awaited.
/// </summary>
internal static class MessageFramer
{
    /// <summary>PostgreSQL's limit for the startup packet (MAX_STARTUP_PACKET_LENGTH).</summary>
    public const int MaxStartupPacketLength = 10_000;

    /// <summary>Reads a startup-phase packet: a length (counting itself) and a body, with no type byte.</summary>
    public static bool TryReadStartupPacket(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> body)
    {
        body = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int length))
        {
            return false;
        }

        if (length < 8 || length > MaxStartupPacketLength)
        {
            throw Violation(string.Create(CultureInfo.InvariantCulture, $"invalid length of startup packet: {length}"));
        }

        if (reader.Remaining < length - 4)
        {
            return false;
        }

        body = buffer.Slice(4, length - 4);
        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>
    /// PostgreSQL's limit for a message before authentication (PG_MAX_AUTH_TOKEN_LENGTH): a client without a
    /// password cannot make the server hold more than this for it.
    /// </summary>
    public const int MaxUnauthenticatedMessageBytes = 65_535;

    /// <summary>Reads a regular message: a type byte, a length (counting itself) and a body.</summary>
    /// <param name="buffer">The received bytes; on success it starts after the message.</param>
    /// <param name="maxMessageBytes">The largest length accepted.</param>
    /// <param name="authenticated">Whether the client has authenticated; only the error message says so.</param>
    /// <param name="type">The message type byte.</param>
    /// <param name="body">The message body.</param>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxMessageBytes, bool authenticated, out byte type, out ReadOnlySequence<byte> body)
    {
        body = default;
        type = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out byte code) || !reader.TryReadBigEndian(out int length))
        {
            return false;
        }

        if (length < 4)
        {
            throw Violation(string.Create(CultureInfo.InvariantCulture, $"invalid message length {length} for message type '{(char)code}'"));
        }

        if (length > maxMessageBytes)
        {
            string when = authenticated ? string.Empty : " before authentication";
            throw Violation(string.Create(CultureInfo.InvariantCulture, $"message of type '{(char)code}' is {length} bytes, above the server's limit of {maxMessageBytes} bytes{when}"));
        }

        if (reader.Remaining < length - 4)
        {
            return false;
        }

        type = code;
        body = buffer.Slice(5, length - 4);
        buffer = buffer.Slice(length + 1);
        return true;
    }

    public static PgWireException Violation(string message) =>
        new(ErrorCode.PgWireProtocolViolation, SqlState.ProtocolViolation, message) { IsFatal = true };
}
