using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Storage;

namespace Medallion.Delta.DeletionVectors;

/// <summary>
/// Collects the deletion vectors of one commit into one DV file at the table root (PROTOCOL.md "Deletion Vector File
/// Storage Format"): a version byte 1, then per DV a big-endian size, the <see cref="RoaringBitmapArray"/> bytes and a
/// big-endian CRC-32 of them. The descriptors use storage type <c>u</c> (the file's uuid, z85-encoded, no prefix) and
/// point at the size prefix, the offset readers expect.
/// </summary>
/// <remarks>
/// The file must be written (<see cref="WriteAsync"/>) before the commit that references it; if the commit never
/// happens the file is an orphan that VACUUM removes, since no version references it.
/// </remarks>
public sealed class DeletionVectorFileBuilder
{
    private const byte FormatVersion = 1;
    private readonly ArrayBufferWriter<byte> _bytes = new(256);
    private readonly string _encodedId;

    /// <summary>Starts a DV file named by a new random uuid.</summary>
    public DeletionVectorFileBuilder()
        : this(Guid.NewGuid())
    {
    }

    internal DeletionVectorFileBuilder(Guid id)
    {
        Id = id;
        _encodedId = Z85.Encode(id.ToByteArray(bigEndian: true));
        _bytes.GetSpan(1)[0] = FormatVersion;
        _bytes.Advance(1);
    }

    /// <summary>The uuid that names the file.</summary>
    public Guid Id { get; }

    /// <summary>The store key of the file: <c>deletion_vector_&lt;uuid&gt;.bin</c>.</summary>
    public string Key => "deletion_vector_" + Id.ToString("D") + ".bin";

    /// <summary>How many deletion vectors the file holds.</summary>
    public int Count { get; private set; }

    /// <summary>Appends the deletion vector of <paramref name="rows"/> (ascending, distinct) and returns its descriptor.</summary>
    public DeletionVectorDescriptor Add(ReadOnlySpan<long> rows)
    {
        byte[] bitmap = RoaringBitmapArray.Encode(rows);
        int offset = _bytes.WrittenCount;
        Span<byte> entry = _bytes.GetSpan(bitmap.Length + 8);
        BinaryPrimitives.WriteInt32BigEndian(entry, bitmap.Length);
        bitmap.CopyTo(entry[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(entry[(4 + bitmap.Length)..], Crc32.Compute(bitmap));
        _bytes.Advance(bitmap.Length + 8);
        Count++;
        return new DeletionVectorDescriptor("u", _encodedId, offset, bitmap.Length, rows.Length);
    }

    /// <summary>Writes the file (put-if-absent: a uuid never names two files).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectAlreadyExists"/> when a file with this name exists.</exception>
    public async Task WriteAsync(IObjectStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!await store.PutIfAbsentAsync(Key, _bytes.WrittenMemory, cancellationToken).ConfigureAwait(false))
        {
            throw new MedallionException(ErrorCode.StorageObjectAlreadyExists,
                $"The deletion vector file '{Key}' already exists in the Delta table at '{store.Location}'.\nHelp: retry the operation; a new file name is drawn each time.");
        }
    }
}
