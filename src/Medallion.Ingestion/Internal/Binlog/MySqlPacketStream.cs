using System;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>
/// MySQL client/server packets over a stream: a 3-byte little-endian length and a sequence number, then the payload;
/// a payload of 2^24-1 bytes or more is split over several packets and joined here
/// (https://mariadb.com/kb/en/0-packet/). Not thread-safe; one reader and one writer in turn.
/// </summary>
internal sealed class MySqlPacketStream(Stream stream) : IAsyncDisposable
{
    private const int MaxPayload = 0xFFFFFF;
    private readonly byte[] _header = new byte[4];
    private byte _sequence;

    /// <summary>Starts a new command: the client's next packet is number 0.</summary>
    public void ResetSequence() => _sequence = 0;

    /// <summary>Reads one logical packet (joined when split); the returned array is the caller's.</summary>
    /// <exception cref="EndOfStreamException">The server closed the connection.</exception>
    public async Task<byte[]> ReadAsync(CancellationToken cancellationToken)
    {
        byte[]? joined = null;
        while (true)
        {
            await stream.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
            int length = _header[0] | (_header[1] << 8) | (_header[2] << 16);
            _sequence = (byte)(_header[3] + 1);
            byte[] payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
            if (joined is not null)
            {
                byte[] longer = new byte[joined.Length + payload.Length];
                joined.CopyTo(longer, 0);
                payload.CopyTo(longer, joined.Length);
                payload = longer;
            }

            if (length < MaxPayload)
            {
                return payload;
            }

            joined = payload;
        }
    }

    /// <summary>Writes one payload, split into packets of at most 2^24-1 bytes (a full last one is followed by an empty one).</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (true)
        {
            int length = Math.Min(payload.Length, MaxPayload);
            byte[] packet = new byte[4 + length];
            BinaryPrimitives.WriteInt32LittleEndian(packet, length);
            packet[3] = _sequence++;
            payload.Span[..length].CopyTo(packet.AsSpan(4));
            await stream.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            payload = payload[length..];
            if (length < MaxPayload)
            {
                break;
            }
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
