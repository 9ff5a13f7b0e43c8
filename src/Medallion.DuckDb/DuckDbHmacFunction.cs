using System;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// A keyed HMAC-SHA-256 as DuckDB scalar functions, what hash masks of personal data compute: stable for one key, so
/// joins and distinct counts of masked values still work; NULL for NULL. Two forms: over text
/// (<see cref="Register(DuckDbConnection, string, ReadOnlySpan{byte})"/>: <c>VARCHAR → VARCHAR</c>, the lower-case hex digest of the value's UTF-8 bytes) and over
/// integers (<see cref="RegisterInteger"/>: <c>BIGINT → BIGINT</c>, the digest's first 8 bytes, big-endian, of the
/// value's decimal text), so an integer column stays a number whose distinct counts and joins run at integer speed.
/// </summary>
/// <remarks>
/// The key lives in native memory that DuckDB owns with the function (freed when the database closes), never in SQL text
/// or a table a query could read. Each thread of DuckDB's keeps one HMAC state with the key already absorbed, and memos
/// of the digests of its recent values, so a repeated value costs a lookup and a new one two SHA-256 compressions, with
/// no allocation. Both forms hash the same bytes for a number (its decimal text), so an integer masked by one matches
/// the same number's text masked by the other in its first 16 hex digits.
/// </remarks>
public static unsafe class DuckDbHmacFunction
{
    private const int DigestBytes = 32;

    // A direct-mapped memo of recent values per thread: masked columns (customers, e-mails) repeat across rows, and a
    // lookup costs a fraction of an HMAC. Text values longer than CachedValueBytes are always computed.
    private const int CacheBits = 14;
    private const int CacheSlots = 1 << CacheBits;
    private const int CachedValueBytes = 64;
    private const int SlotBytes = 1 + CachedValueBytes + (DigestBytes * 2);

    [ThreadStatic]
    private static ThreadState? t_state;

    /// <summary>Registers the text form in the database of <paramref name="connection"/> (visible to all its connections).</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="key">The HMAC key: 1 to 64 bytes.</param>
    /// <exception cref="DuckDbException">DuckDB refused the function (a function of that name exists).</exception>
    public static void Register(DuckDbConnection connection, string name, ReadOnlySpan<byte> key) =>
        Register(connection, name, key, DuckDbType.Varchar, &Compute);

    /// <summary>Registers the integer form in the database of <paramref name="connection"/> (visible to all its connections).</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="key">The HMAC key: 1 to 64 bytes.</param>
    /// <exception cref="DuckDbException">DuckDB refused the function (a function of that name exists).</exception>
    public static void RegisterInteger(DuckDbConnection connection, string name, ReadOnlySpan<byte> key) =>
        Register(connection, name, key, DuckDbType.BigInt, &ComputeInteger);

    private static void Register(DuckDbConnection connection, string name, ReadOnlySpan<byte> key, DuckDbType type, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> compute)
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
            using (DuckDbLogicalTypeHandle logical = NativeMethods.LogicalType.Create(type))
            {
                NativeMethods.ScalarFunction.AddParameter(function, logical);
                NativeMethods.ScalarFunction.SetReturnType(function, logical);
            }

            NativeMethods.ScalarFunction.SetExtraInfo(function, (IntPtr)stored, NativeMethods.TableFunction.FreeFunction);
            NativeMethods.ScalarFunction.SetFunction(function, compute);
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
            ThreadState state = StateFor(info);
            IncrementalHash hmac = state.Hmac;
            byte[] cache = state.TextCache;
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
                    SetNull(output, ref outputValid, row);
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

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ComputeInteger(IntPtr info, IntPtr input, IntPtr output)
    {
        try
        {
            ThreadState state = StateFor(info);
            ulong rows = NativeMethods.DataChunk.GetSize(input);
            IntPtr values = NativeMethods.DataChunk.GetVector(input, 0);
            long* numbers = (long*)NativeMethods.DataChunk.VectorGetData(values);
            ulong* valid = NativeMethods.DataChunk.VectorGetValidity(values);
            long* results = (long*)NativeMethods.DataChunk.VectorGetData(output);
            IntegerSlot[] cache = state.IntegerCache;
            ulong* outputValid = null;
            for (ulong row = 0; row < rows; row++)
            {
                if (valid is not null && (valid[row >> 6] & (1UL << (int)(row & 63))) == 0)
                {
                    SetNull(output, ref outputValid, row);
                    continue;
                }

                long value = numbers[row];
                ref IntegerSlot slot = ref cache[IntegerSlot.Of(value)];
                results[row] = slot.Value == value ? slot.Digest : state.Digest(ref slot, value);
            }
        }
#pragma warning disable CA1031 // An exception must not cross into DuckDB's thread; the query fails with its message instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            NativeMethods.ScalarFunction.SetError(info, "HMAC mask: " + e.Message);
        }
    }

    private static void SetNull(IntPtr output, ref ulong* outputValid, ulong row)
    {
        if (outputValid is null)
        {
            NativeMethods.DataChunk.VectorEnsureValidityWritable(output);
            outputValid = NativeMethods.DataChunk.VectorGetValidity(output);
        }

        outputValid[row >> 6] &= ~(1UL << (int)(row & 63));
    }

    /// <summary>This thread's HMAC state for the function's key: kept while the thread computes with one key (one database's).</summary>
    private static ThreadState StateFor(IntPtr info)
    {
        byte* stored = (byte*)NativeMethods.ScalarFunction.GetExtraInfo(info);
        var key = new ReadOnlySpan<byte>(stored + 1, stored[0]);
        if (t_state is null || !key.SequenceEqual(t_state.Key))
        {
            // Digests of another key must not be served for this one.
            t_state?.Hmac.Dispose();
            t_state = new ThreadState(key.ToArray());
        }

        return t_state;
    }

    /// <summary>One thread's HMAC with its key absorbed, and its memos (the integer one made on first use).</summary>
    private sealed class ThreadState(byte[] key)
    {
        public byte[] Key { get; } = key;

        public IncrementalHash Hmac { get; } = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);

        // Per slot: the value's length + 1 (0 = empty), the value, its hex digest.
        public byte[] TextCache => field ??= new byte[CacheSlots * SlotBytes];

        public IntegerSlot[] IntegerCache => field ??= IntegerSlot.EmptyCache();

        /// <summary>The integer form's digest of <paramref name="value"/>, remembered in its slot.</summary>
        public long Digest(ref IntegerSlot slot, long value)
        {
            Span<byte> text = stackalloc byte[20];
            Span<byte> digest = stackalloc byte[DigestBytes];
            Utf8Formatter.TryFormat(value, text, out int written);
            Hmac.AppendData(text[..written]);
            Hmac.GetHashAndReset(digest);
            long result = BinaryPrimitives.ReadInt64BigEndian(digest);
            slot = new IntegerSlot(value, result);
            return result;
        }
    }

    /// <summary>A slot of the integer memo: a value and its digest.</summary>
    private readonly record struct IntegerSlot(long Value, long Digest)
    {
        /// <summary>
        /// A memo of empty slots that no lookup matches: each holds a value that belongs in another slot (0 belongs in
        /// slot 0, so every other slot holds 0, and slot 0 holds 1).
        /// </summary>
        public static IntegerSlot[] EmptyCache()
        {
            var cache = new IntegerSlot[CacheSlots];
            cache[0] = new IntegerSlot(1, 0);
            return cache;
        }

        // Fibonacci hashing spreads consecutive ids over the slots.
        public static int Of(long value) => (int)((ulong)value * 0x9E3779B97F4A7C15UL >> (64 - CacheBits));
    }

    private static int Slot(ReadOnlySpan<byte> value)
    {
        var hash = default(HashCode);
        hash.AddBytes(value);
        return hash.ToHashCode() & (CacheSlots - 1);
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
