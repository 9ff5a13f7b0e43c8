using System;
using System.Buffers.Binary;
using System.Text;

namespace Medallion.PgWire.Protocol;

/// <summary>
/// Builds backend messages in one growable buffer: a message's length is back-filled when it ends,
/// so values can be encoded in place without measuring them first. The connection copies the
/// buffer to the socket when it flushes.
/// </summary>
/// <remarks>Not thread-safe: one per connection.</remarks>
internal sealed class MessageWriter
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _length;
    private int _messageStart = -1;

    /// <summary>Bytes written and not yet taken by <see cref="Reset"/>.</summary>
    public int Length => _length;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Reset()
    {
        _length = 0;
        _messageStart = -1;
        if (_buffer.Length > 1024 * 1024)
        {
            // A huge row grew the buffer; do not keep it for the rest of the session.
            _buffer = new byte[16 * 1024];
        }
    }

    public void StartMessage(byte code)
    {
        WriteByte(code);
        _messageStart = _length;
        WriteInt32(0);
    }

    public void EndMessage()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_messageStart), _length - _messageStart);
        _messageStart = -1;
    }

    /// <summary>Reserves a field's length word; returns its position for <see cref="EndField"/>.</summary>
    public int StartField()
    {
        int at = _length;
        WriteInt32(0);
        return at;
    }

    public void EndField(int at) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(at), _length - at - 4);

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(GetSpan(2), value);
        _length += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
        _length += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(GetSpan(8), value);
        _length += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(GetSpan(value.Length));
        _length += value.Length;
    }

    /// <summary>Writes UTF-8 text without a terminator.</summary>
    public void WriteString(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        int written = Encoding.UTF8.GetBytes(value, GetSpan(max));
        _length += written;
    }

    /// <summary>Writes ASCII/UTF-8 text already known to be short.</summary>
    public void WriteCString(string value)
    {
        WriteString(value);
        WriteByte(0);
    }

    /// <summary>A span of at least <paramref name="size"/> bytes at the end; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetSpan(int size)
    {
        Ensure(size);
        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    private void Ensure(int size)
    {
        if (_length + size <= _buffer.Length)
        {
            return;
        }

        int capacity = Math.Max(_buffer.Length * 2, _length + size);
        Array.Resize(ref _buffer, capacity);
    }
}
