using System;
using System.Buffers.Binary;
using System.Collections;
using System.Text;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>
/// Turns the raw events of one dump into <see cref="BinlogEvent"/>s: verifies each event's CRC32, and keeps what the
/// format description event says (checksum algorithm, post-header lengths) for the events after it.
/// </summary>
/// <remarks>
/// Layouts: https://mariadb.com/kb/en/replication-protocol/ and MySQL's libbinlogevents. Rows events keep their
/// bytes; <see cref="BinlogRowDecoder"/> reads the rows with the table map in force. Compressed and encrypted
/// binlogs are refused rather than misread.
/// </remarks>
internal sealed class BinlogEventParser(bool checksum)
{
    // The post-header length of each event type, from the format description; 6-byte table ids need 8 (MySQL 5.1.4+).
    private byte[] _postHeaderLengths = [];
    private bool _checksum = checksum;

    public BinlogEvent Parse(byte[] raw)
    {
        if (raw.Length < BinlogEventHeader.Length)
        {
            throw new BinlogProtocolException($"an event of {raw.Length} bytes is shorter than its header");
        }

        var reader = new PacketReader(raw);
        var header = new BinlogEventHeader(reader.ReadUInt32(), (BinlogEventType)reader.ReadByte(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt16());
        if (header.Type == BinlogEventType.FormatDescription)
        {
            return ParseFormatDescription(header, raw);
        }

        int end = raw.Length;
        if (_checksum)
        {
            end -= 4;
            Verify(header, raw, end);
        }

        reader = new PacketReader(raw, BinlogEventHeader.Length, end);
        switch (header.Type)
        {
            case BinlogEventType.Rotate:
                ulong position = reader.ReadUInt64();
                return new RotateEvent(header, Encoding.UTF8.GetString(reader.ReadBytes(reader.Remaining)), position);
            case BinlogEventType.Xid:
                return new XidEvent(header, reader.ReadUInt64());
            case BinlogEventType.Query:
                return ParseQuery(header, reader);
            case BinlogEventType.MariaDbGtid:
                ulong sequence = reader.ReadUInt64();
                uint domain = reader.ReadUInt32();
                byte flags = reader.ReadByte();
                return new GtidEvent(header, domain, sequence, Standalone: (flags & 1) != 0);
            case BinlogEventType.TableMap:
                return ParseTableMap(header, reader);
            case BinlogEventType.WriteRowsV1 or BinlogEventType.WriteRowsV2:
                return ParseRows(header, reader, RowsKind.Insert, raw, end);
            case BinlogEventType.UpdateRowsV1 or BinlogEventType.UpdateRowsV2:
                return ParseRows(header, reader, RowsKind.Update, raw, end);
            case BinlogEventType.DeleteRowsV1 or BinlogEventType.DeleteRowsV2:
                return ParseRows(header, reader, RowsKind.Delete, raw, end);
            case BinlogEventType.StartEncryption:
                throw new BinlogProtocolException("the binlog is encrypted (encrypt_binlog=ON), which the binlog reader cannot read");
            case >= BinlogEventType.CompressedQuery and <= BinlogEventType.CompressedRowsLast:
                throw new BinlogProtocolException("the binlog is compressed (log_bin_compress=ON), which the binlog reader cannot read");
            default:
                return new OtherEvent(header);
        }
    }

    private static void Verify(BinlogEventHeader header, byte[] raw, int end)
    {
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(end));
        uint computed = Crc32.Compute(raw.AsSpan(0, end));
        if (stored != computed)
        {
            throw new BinlogProtocolException($"the checksum of a {header.Type} event ending at position {header.NextPosition} is wrong (stored {stored:X8}, computed {computed:X8}): the binlog or the connection corrupted it");
        }
    }

    private OtherEvent ParseFormatDescription(BinlogEventHeader header, byte[] raw)
    {
        // binlog version (2), server version (50), create timestamp (4), header length (1), post-header lengths,
        // then (since checksums exist) the checksum algorithm (1) and the checksum (4).
        const int Fixed = BinlogEventHeader.Length + 2 + 50 + 4 + 1;
        byte algorithm = raw[^5];
        if (algorithm is not (0 or 1))
        {
            throw new BinlogProtocolException($"the binlog uses checksum algorithm {algorithm}; only CRC32 (1) and none (0) are known");
        }

        _checksum = algorithm == 1;
        if (_checksum)
        {
            Verify(header, raw, raw.Length - 4);
        }

        _postHeaderLengths = raw[Fixed..^5];
        return new OtherEvent(header);
    }

    private int PostHeaderLength(BinlogEventType type, int fallback) =>
        (int)type - 1 < _postHeaderLengths.Length ? _postHeaderLengths[(int)type - 1] : fallback;

    private static QueryEvent ParseQuery(BinlogEventHeader header, PacketReader reader)
    {
        reader.Skip(4 + 4);
        int databaseLength = reader.ReadByte();
        reader.Skip(2);
        int statusLength = reader.ReadUInt16();
        reader.Skip(statusLength);
        string database = Encoding.UTF8.GetString(reader.ReadBytes(databaseLength));
        reader.Skip(1);
        return new QueryEvent(header, database, Encoding.UTF8.GetString(reader.ReadBytes(reader.Remaining)));
    }

    private TableMapEvent ParseTableMap(BinlogEventHeader header, PacketReader reader)
    {
        ulong tableId = PostHeaderLength(BinlogEventType.TableMap, 8) == 6 ? reader.ReadUInt32() : reader.ReadUInt48();
        reader.Skip(2);
        string database = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadByte()));
        reader.Skip(1);
        string table = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadByte()));
        reader.Skip(1);
        int count = checked((int)reader.ReadLengthEncoded());
        byte[] types = reader.ReadBytes(count).ToArray();
        int metadataLength = checked((int)reader.ReadLengthEncoded());
        var metadata = new PacketReader(reader.ReadBytes(metadataLength).ToArray());
        int[] values = new int[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = BinlogRowDecoder.MetadataLength(types[i]) switch
            {
                0 => 0,
                1 => metadata.ReadByte(),
                // STRING, ENUM and SET metadata is the real type then the length, read big-endian so the type is the high byte.
                _ when types[i] is BinlogColumnType.String or BinlogColumnType.Enum or BinlogColumnType.Set => (metadata.ReadByte() << 8) | metadata.ReadByte(),
                _ => metadata.ReadUInt16(),
            };
        }

        return new TableMapEvent(header, tableId, database, table, types, values);
    }

    private RowsEvent ParseRows(BinlogEventHeader header, PacketReader reader, RowsKind kind, byte[] raw, int end)
    {
        bool v2 = header.Type is BinlogEventType.WriteRowsV2 or BinlogEventType.UpdateRowsV2 or BinlogEventType.DeleteRowsV2;
        ulong tableId = PostHeaderLength(header.Type, v2 ? 10 : 8) == 6 ? reader.ReadUInt32() : reader.ReadUInt48();
        reader.Skip(2);
        if (v2)
        {
            // The extra data's length counts its own two bytes.
            reader.Skip(reader.ReadUInt16() - 2);
        }

        int count = checked((int)reader.ReadLengthEncoded());
        BitArray present = new(reader.ReadBytes((count + 7) / 8).ToArray()) { Length = count };
        BitArray? after = kind == RowsKind.Update ? new BitArray(reader.ReadBytes((count + 7) / 8).ToArray()) { Length = count } : null;
        return new RowsEvent(header, kind, tableId, count, present, after, raw, reader.Position, end);
    }
}
