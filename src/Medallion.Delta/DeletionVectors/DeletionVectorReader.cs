using System;
using System.Buffers.Binary;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Internal;
using Medallion.Storage;

namespace Medallion.Delta.DeletionVectors;

/// <summary>
/// Resolves a deletion vector descriptor to the sorted row indexes it deletes: inline (<c>i</c>) from the
/// z85 text, on disk by uuid (<c>u</c>) or by absolute path (<c>p</c>) from the DV file, whose entry is a
/// big-endian size, the bitmap and a big-endian CRC-32 of the bitmap.
/// </summary>
public static class DeletionVectorReader
{
    /// <summary>Reads the sorted row indexes <paramref name="dv"/> deletes from <paramref name="dataFile"/> (named in errors).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaCorruptLogFile"/> when the deletion vector is missing, truncated or fails its checksum.</exception>
    public static async Task<long[]> ReadAsync(IObjectStore store, DeletionVectorDescriptor dv, string dataFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(dv);
        try
        {
            long[] rows;
            if (dv.StorageType == "i")
            {
                byte[] decoded = Z85.Decode(dv.PathOrInlineDv);
                if (dv.SizeInBytes > decoded.Length)
                {
                    throw new FormatException($"the inline deletion vector has {decoded.Length} bytes, fewer than its sizeInBytes {dv.SizeInBytes}");
                }

                rows = RoaringBitmapArray.Decode(decoded.AsSpan(0, dv.SizeInBytes));
            }
            else
            {
                string key = ResolveKey(store, dv);
                long offset = dv.Offset ?? 0;
                byte[] entry = await store.ReadRangeAsync(key, offset, dv.SizeInBytes + 8, cancellationToken).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(entry);
                if (size != dv.SizeInBytes)
                {
                    throw new FormatException($"the entry at offset {offset} of '{key}' has size {size}, but the descriptor says {dv.SizeInBytes}");
                }

                ReadOnlySpan<byte> bitmap = entry.AsSpan(4, size);
                uint expected = BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(4 + size));
                uint actual = Crc32.Compute(bitmap);
                if (expected != actual)
                {
                    throw new FormatException($"the checksum of the entry at offset {offset} of '{key}' does not match (stored {expected:x8}, computed {actual:x8})");
                }

                rows = RoaringBitmapArray.Decode(bitmap);
            }

            if (rows.LongLength != dv.Cardinality)
            {
                throw new FormatException($"it holds {rows.LongLength} row indexes but its cardinality is {dv.Cardinality}");
            }

            return rows;
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw Invalid(store, dataFile, e.Message, e);
        }
        catch (MedallionException e) when (e.Code is ErrorCode.StorageObjectNotFound or ErrorCode.StorageIoFailed)
        {
            throw Invalid(store, dataFile, e.Message, e);
        }
    }

    /// <summary>The store key of an on-disk DV: <c>&lt;prefix&gt;/deletion_vector_&lt;uuid&gt;.bin</c> or the absolute path made relative.</summary>
    public static string ResolveKey(IObjectStore store, DeletionVectorDescriptor dv)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(dv);
        switch (dv.StorageType)
        {
            case "u":
                string text = dv.PathOrInlineDv;
                if (text.Length < 20)
                {
                    throw new FormatException($"'{text}' is too short for a z85-encoded uuid");
                }

                byte[] uuid = Z85.Decode(text.AsSpan(text.Length - 20));
                string prefix = text[..^20];
                string name = "deletion_vector_" + new Guid(uuid, bigEndian: true).ToString("D") + ".bin";
                return prefix.Length == 0 ? name : prefix + "/" + name;
            case "p":
                return TablePaths.ToKey(store, dv.PathOrInlineDv)
                    ?? throw new FormatException($"the absolute path '{dv.PathOrInlineDv}' is outside the table at '{store.Location}'");
            default:
                throw new FormatException($"storage type '{dv.StorageType}' is not one of 'u', 'i', 'p'");
        }
    }

    private static MedallionException Invalid(IObjectStore store, string dataFile, string reason, Exception inner) =>
        new(ErrorCode.DeltaInvalidDeletionVector,
            $"The deletion vector of data file '{dataFile}' in the Delta table at '{store.Location}' cannot be read: {reason}.\nHelp: the table is damaged or its deletion vector files were removed; restore them or read an earlier version.", inner);
}
