using System;
using System.Buffers.Binary;
using System.Text;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>Reads the little-endian integers, length-encoded integers and strings of MySQL packets and binlog events.</summary>
/// <remarks>A class rather than a ref struct so that it can be held across awaits; reading past the end throws.</remarks>
internal sealed class PacketReader(byte[] buffer, int start = 0, int end = -1)
{
    private readonly int _end = end < 0 ? buffer.Length : end;

    public int Position { get; set; } = start;

    public int Remaining => _end - Position;

    public byte PeekByte() => buffer[Position];

    public byte ReadByte()
    {
        Check(1);
        return buffer[Position++];
    }

    public void Skip(int count)
    {
        Check(count);
        Position += count;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Check(count);
        var bytes = new ReadOnlySpan<byte>(buffer, Position, count);
        Position += count;
        return bytes;
    }

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2));

    public uint ReadUInt24()
    {
        ReadOnlySpan<byte> b = ReadBytes(3);
        return b[0] | ((uint)b[1] << 8) | ((uint)b[2] << 16);
    }

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    public ulong ReadUInt48()
    {
        ReadOnlySpan<byte> b = ReadBytes(6);
        return BinaryPrimitives.ReadUInt32LittleEndian(b) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(b[4..]) << 32);
    }

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    /// <summary>A little-endian unsigned integer of 1 to 8 bytes.</summary>
    public ulong ReadUInt(int bytes)
    {
        ReadOnlySpan<byte> b = ReadBytes(bytes);
        ulong value = 0;
        for (int i = bytes - 1; i >= 0; i--)
        {
            value = (value << 8) | b[i];
        }

        return value;
    }

    /// <summary>A length-encoded integer (https://mariadb.com/kb/en/protocol-data-types/#length-encoded-integers).</summary>
    public ulong ReadLengthEncoded()
    {
        byte first = ReadByte();
        return first switch
        {
            < 0xFB => first,
            0xFC => ReadUInt16(),
            0xFD => ReadUInt24(),
            0xFE => ReadUInt64(),
            _ => throw new BinlogProtocolException($"0x{first:X2} is not a length-encoded integer"),
        };
    }

    public string ReadNullTerminatedString()
    {
        int zero = Array.IndexOf(buffer, (byte)0, Position, _end - Position);
        if (zero < 0)
        {
            throw new BinlogProtocolException("a string has no terminating zero byte");
        }

        string text = Encoding.UTF8.GetString(buffer, Position, zero - Position);
        Position = zero + 1;
        return text;
    }

    private void Check(int count)
    {
        if (count < 0 || Position + count > _end)
        {
            throw new BinlogProtocolException($"an event or packet ends early: {count} more bytes wanted at offset {Position}, {_end - Position} left");
        }
    }
}
