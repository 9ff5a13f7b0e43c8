using System;
using System.Buffers.Binary;
using System.Text;

namespace Medallion.PgWire.Protocol;

/// <summary>Reads the fields of one complete message body; a field running past the end is a protocol violation.</summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public PayloadReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadByte()
    {
        Need(1);
        return _data[_position++];
    }

    public short ReadInt16()
    {
        Need(2);
        short value = BinaryPrimitives.ReadInt16BigEndian(_data[_position..]);
        _position += 2;
        return value;
    }

    public int ReadInt32()
    {
        Need(4);
        int value = BinaryPrimitives.ReadInt32BigEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    public string ReadCString()
    {
        int end = _data[_position..].IndexOf((byte)0);
        if (end < 0)
        {
            throw MessageFramer.Violation("invalid message format: a string is not terminated");
        }

        string value = Encoding.UTF8.GetString(_data.Slice(_position, end));
        _position += end + 1;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw MessageFramer.Violation("invalid message format: negative length");
        }

        Need(count);
        ReadOnlySpan<byte> value = _data.Slice(_position, count);
        _position += count;
        return value;
    }

    public readonly void ExpectEnd()
    {
        if (_position != _data.Length)
        {
            throw MessageFramer.Violation("invalid message format: unexpected bytes at the end of a message");
        }
    }

    private readonly void Need(int count)
    {
        if (_data.Length - _position < count)
        {
            throw MessageFramer.Violation("invalid message format: a field runs past the end of the message");
        }
    }
}
