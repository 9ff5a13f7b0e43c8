using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// A keyed HMAC-SHA-256 as a DuckDB scalar function: <c>name(VARCHAR) → VARCHAR</c>, the lower-case hex digest of the
/// value's UTF-8 bytes, NULL for NULL. It is what hash masks of personal data compute: stable for one key, so joins and
/// distinct counts of masked values still work.
/// </summary>
/// <remarks>
/// The key lives in native memory that DuckDB owns with the function (freed when the database closes), never in SQL text
/// or a table a query could read. Each thread of DuckDB's keeps one HMAC state with the key already absorbed, and a memo
/// of the digests of its recent values, so a repeated value costs a lookup and a new one two SHA-256 compressions, with
/// no allocation.
/// </remarks>
public static unsafe class DuckDbHmacFunction
{
    private const int DigestBytes = 32;

    // A direct-mapped memo of recent values per thread: masked columns (customers, e-mails) repeat across rows, and a
    // lookup costs a fraction of an HMAC. Values longer than CachedValueBytes are always computed.
    private const int CacheSlots = 1 << 14;
    private const int CachedValueBytes = 64;
    private const int SlotBytes = 1 + CachedValueBytes + (DigestBytes * 2);

    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    [ThreadStatic]
    private static byte[]? t_key;

    // Per slot: the value's length + 1 (0 = empty), the value, its hex digest.
    [ThreadStatic]
    private static byte[]? t_cache;

    /// <summary>Registers the function in the database of <paramref name="connection"/> (visible to all its connections).</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="key">The HMAC key: 1 to 64 bytes.</param>
    /// <exception cref="DuckDbException">DuckDB refused the function (a function of that name exists).</exception>
    public static void Register(DuckDbConnection connection, string name, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (key.IsEmpty || key.Length > 64)
        {
            throw new ArgumentException("An HMAC key here is 1 to 64 bytes.", nameof(key));
        }

        // Length-prefixed, so the callback reads the key without a managed object to find.
        byte* stored = (byte*)NativeMethods.TableFunction.Malloc((nuint)(key.Length + 1));
        stored[0] = (byte)key.Length;
        key.CopyTo(new Span<byte>(stored + 1, key.Length));
        IntPtr function = NativeMethods.ScalarFunction.Create();
        try
        {
            NativeMethods.ScalarFunction.SetName(function, name);
            using (DuckDbLogicalTypeHandle varchar = NativeMethods.LogicalType.Create(DuckDbType.Varchar))
            {
                NativeMethods.ScalarFunction.AddParameter(function, varchar);
                NativeMethods.ScalarFunction.SetReturnType(function, varchar);
            }

            NativeMethods.ScalarFunction.SetExtraInfo(function, (IntPtr)stored, NativeMethods.TableFunction.FreeFunction);
            NativeMethods.ScalarFunction.SetFunction(function, &Compute);
            if (NativeMethods.ScalarFunction.Register(connection.Handle, function) != DuckDbState.Success)
            {
                throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Catalog, $"Could not register the scalar function {name} in the database '{connection.OpenDatabase.DataSource}'.");
            }
        }
        finally
        {
            NativeMethods.ScalarFunction.Destroy(ref function);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Compute(IntPtr info, IntPtr input, IntPtr output)
    {
        try
        {
            byte* stored = (byte*)NativeMethods.ScalarFunction.GetExtraInfo(info);
            IncrementalHash hmac = StateFor(new ReadOnlySpan<byte>(stored + 1, stored[0]));
            byte[] cache = t_cache!;
            ulong rows = NativeMethods.DataChunk.GetSize(input);
            IntPtr values = NativeMethods.DataChunk.GetVector(input, 0);
            // duckdb_string_t: 16 bytes; the length, then up to 12 bytes inline, else a pointer at offset 8.
            byte* strings = (byte*)NativeMethods.DataChunk.VectorGetData(values);
            ulong* valid = NativeMethods.DataChunk.VectorGetValidity(values);
            ulong* outputValid = null;
            Span<byte> digest = stackalloc byte[DigestBytes];
            byte* hex = stackalloc byte[DigestBytes * 2];
            for (ulong row = 0; row < rows; row++)
            {
                if (valid is not null && (valid[row >> 6] & (1UL << (int)(row & 63))) == 0)
                {
                    if (outputValid is null)
                    {
                        NativeMethods.DataChunk.VectorEnsureValidityWritable(output);
                        outputValid = NativeMethods.DataChunk.VectorGetValidity(output);
                    }

                    outputValid[row >> 6] &= ~(1UL << (int)(row & 63));
                    continue;
                }

                byte* entry = strings + (row * 16);
                int length = *(int*)entry;
                var value = new ReadOnlySpan<byte>(length <= 12 ? entry + 4 : *(byte**)(entry + 8), length);
                Span<byte> slot = length <= CachedValueBytes ? cache.AsSpan(Slot(value) * SlotBytes, SlotBytes) : default;
                if (!slot.IsEmpty && slot[0] == length + 1 && slot.Slice(1, length).SequenceEqual(value))
                {
                    fixed (byte* cached = slot[(1 + CachedValueBytes)..])
                    {
                        NativeMethods.ScalarFunction.AssignStringElement(output, row, cached, DigestBytes * 2);
                    }

                    continue;
                }

                hmac.AppendData(value);
                hmac.GetHashAndReset(digest);
                for (int i = 0; i < DigestBytes; i++)
                {
                    hex[2 * i] = Hex(digest[i] >> 4);
                    hex[(2 * i) + 1] = Hex(digest[i] & 0xF);
                }

                NativeMethods.ScalarFunction.AssignStringElement(output, row, hex, DigestBytes * 2);
                if (!slot.IsEmpty)
                {
                    slot[0] = (byte)(length + 1);
                    value.CopyTo(slot[1..]);
                    new ReadOnlySpan<byte>(hex, DigestBytes * 2).CopyTo(slot[(1 + CachedValueBytes)..]);
                }
            }
        }
#pragma warning disable CA1031 // An exception must not cross into DuckDB's thread; the query fails with its message instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            NativeMethods.ScalarFunction.SetError(info, "HMAC mask: " + e.Message);
        }
    }

    /// <summary>This thread's HMAC state for <paramref name="key"/>: kept while the thread computes with one key (one database's).</summary>
    private static IncrementalHash StateFor(ReadOnlySpan<byte> key)
    {
        if (t_hmac is null || t_key is null || !key.SequenceEqual(t_key))
        {
            t_hmac?.Dispose();
            t_key = key.ToArray();
            t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, t_key);
            // Digests of another key must not be served for this one.
            t_cache = new byte[CacheSlots * SlotBytes];
        }

        return t_hmac;
    }

    private static int Slot(ReadOnlySpan<byte> value)
    {
        var hash = default(HashCode);
        hash.AddBytes(value);
        return hash.ToHashCode() & (CacheSlots - 1);
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
