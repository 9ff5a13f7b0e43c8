using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Medallion.DuckDb.Internal;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// The keyed functions hash masks of personal data compute, as DuckDB scalar functions: stable for one key, so joins and
/// distinct counts of masked values still work; NULL for NULL. Two forms: over text
/// (<see cref="Register(DuckDbConnection, string, ReadOnlySpan{byte})"/>: <c>VARCHAR → VARCHAR</c>, the lower-case hex
/// HMAC-SHA-256 of the value's UTF-8 bytes) and over integers (<see cref="RegisterInteger"/>: <c>INTEGER → INTEGER</c> and
/// <c>BIGINT → BIGINT</c>, a keyed permutation that maps the <c>INTEGER</c> range onto itself), so an integer column keeps
/// its type, its distinct counts are exact, and an <c>INTEGER</c> id joins a <c>BIGINT</c> one masked.
/// </summary>
/// <remarks>
/// The key lives in native memory that DuckDB owns with the function (freed when the database closes), never in SQL text
/// or a table a query could read. Each thread of DuckDB's keeps one HMAC state with the key already absorbed, and memos
/// of the masks of its recent values, so a repeated value costs a lookup, with no allocation; a new text value costs two
/// SHA-256 compressions, a new integer ten lookups in tables shared by the threads (filled as met: at most 40,960 HMACs
/// per key), and one outside the <c>INTEGER</c> range ten HMACs. An integer's mask is not related to the mask of its
/// text.
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
        Register(connection, name, key, [(DuckDbType.Varchar, Callback(&Compute))]);

    /// <summary>
    /// Registers the integer form in the database of <paramref name="connection"/> (visible to all its connections): two
    /// overloads of one name, <c>INTEGER → INTEGER</c> and <c>BIGINT → BIGINT</c>, that agree on every number both hold
    /// (DuckDB binds a <c>SMALLINT</c> or <c>TINYINT</c> argument to the <c>BIGINT</c> one; cast it to keep 32 bits).
    /// </summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="key">The HMAC key: 1 to 64 bytes.</param>
    /// <exception cref="DuckDbException">DuckDB refused the function (a function of that name exists).</exception>
    public static void RegisterInteger(DuckDbConnection connection, string name, ReadOnlySpan<byte> key) =>
        Register(connection, name, key, [(DuckDbType.Integer, Callback(&ComputeInt32)), (DuckDbType.BigInt, Callback(&ComputeInt64))]);

    private static IntPtr Callback(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> compute) => (IntPtr)compute;

    /// <summary>Registers one overload per type (each <c>type → type</c>) under <paramref name="name"/>, each with its own copy of the key.</summary>
    private static void Register(DuckDbConnection connection, string name, ReadOnlySpan<byte> key, ReadOnlySpan<(DuckDbType Type, IntPtr Compute)> overloads)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (key.IsEmpty || key.Length > 64)
        {
            throw new ArgumentException("An HMAC key here is 1 to 64 bytes.", nameof(key));
        }

        IntPtr set = NativeMethods.ScalarFunction.CreateSet(name);
        try
        {
            foreach ((DuckDbType type, IntPtr compute) in overloads)
            {
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
                    NativeMethods.ScalarFunction.SetFunction(function, (delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void>)compute);
                    if (NativeMethods.ScalarFunction.AddToSet(set, function) != DuckDbState.Success)
                    {
                        throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Catalog, $"Could not add the overload of {name} over {type}.");
                    }
                }
                finally
                {
                    NativeMethods.ScalarFunction.Destroy(ref function);
                }
            }

            if (NativeMethods.ScalarFunction.RegisterSet(connection.Handle, set) != DuckDbState.Success)
            {
                throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Catalog, $"Could not register the scalar function {name} in the database '{connection.OpenDatabase.DataSource}'.");
            }
        }
        finally
        {
            NativeMethods.ScalarFunction.DestroySet(ref set);
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
    private static void ComputeInt32(IntPtr info, IntPtr input, IntPtr output) => ComputeInteger<int, Int32Form>(info, input, output);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ComputeInt64(IntPtr info, IntPtr input, IntPtr output) => ComputeInteger<long, Int64Form>(info, input, output);

    /// <summary>The integer forms' callback body, specialized per width (a struct type argument gets its own compiled code).</summary>
    private static void ComputeInteger<T, TForm>(IntPtr info, IntPtr input, IntPtr output)
        where T : unmanaged
        where TForm : struct, IIntegerForm<T>
    {
        try
        {
            ThreadState state = StateFor(info);
            ulong rows = NativeMethods.DataChunk.GetSize(input);
            IntPtr values = NativeMethods.DataChunk.GetVector(input, 0);
            T* numbers = (T*)NativeMethods.DataChunk.VectorGetData(values);
            T* results = (T*)NativeMethods.DataChunk.VectorGetData(output);
            fixed (long* cache = TForm.Cache(state))
            {
                for (ulong row = 0; row < rows; row++)
                {
                    results[row] = TForm.Lookup(state, cache, numbers[row]);
                }
            }

            CopyValidity(values, output, rows);
        }
#pragma warning disable CA1031 // An exception must not cross into DuckDB's thread; the query fails with its message instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            NativeMethods.ScalarFunction.SetError(info, "HMAC mask: " + e.Message);
        }
    }

    /// <summary>One width of the integer form: its memo and a lookup in it (Fibonacci hashing spreads consecutive ids over the slots).</summary>
    private interface IIntegerForm<T>
        where T : unmanaged
    {
        static abstract long[] Cache(ThreadState state);

        static abstract T Lookup(ThreadState state, long* cache, T value);
    }

    /// <summary><c>INTEGER</c>: per slot, the value in the low half and its mask in the high half.</summary>
    private readonly struct Int32Form : IIntegerForm<int>
    {
        public static long[] Cache(ThreadState state) => state.Int32Cache;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Lookup(ThreadState state, long* cache, int value)
        {
            long* slot = cache + (((uint)value * 0x9E3779B9U) >> (32 - CacheBits));
            long entry = *slot;
            return (int)entry == value ? (int)(entry >> 32) : state.Mask(slot, value);
        }
    }

    /// <summary><c>BIGINT</c>: per slot, the value, then its mask.</summary>
    private readonly struct Int64Form : IIntegerForm<long>
    {
        public static long[] Cache(ThreadState state) => state.Int64Cache;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static long Lookup(ThreadState state, long* cache, long value)
        {
            long* slot = cache + (2 * (((ulong)value * 0x9E3779B97F4A7C15UL) >> (64 - CacheBits)));
            return slot[0] == value ? slot[1] : state.Mask(slot, value);
        }
    }

    /// <summary>
    /// Makes the output's NULLs the input's. The integer forms mask every row, NULLs too (a NULL's slot holds some number,
    /// whose mask the copied validity hides): testing each row's bit costs more than the lookup of a repeated value. An
    /// input without NULLs often has a validity mask all the same (Parquet scans give one); the output then gets none, so
    /// the operators above take their no-NULL paths.
    /// </summary>
    private static void CopyValidity(IntPtr input, IntPtr output, ulong rows)
    {
        ulong* valid = NativeMethods.DataChunk.VectorGetValidity(input);
        if (valid is null || rows == 0)
        {
            return;
        }

        ulong words = (rows + 63) / 64;
        ulong tail = rows % 64;
        ulong all = ulong.MaxValue;
        for (ulong word = 0; word < words - 1; word++)
        {
            all &= valid[word];
        }

        if (all == ulong.MaxValue && (valid[words - 1] | (tail == 0 ? 0 : ulong.MaxValue << (int)tail)) == ulong.MaxValue)
        {
            return;
        }

        NativeMethods.DataChunk.VectorEnsureValidityWritable(output);
        ulong* copy = NativeMethods.DataChunk.VectorGetValidity(output);
        for (ulong word = 0; word < words; word++)
        {
            copy[word] = valid[word];
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
            // Masks of another key must not be served for this one.
            t_state?.Dispose();
            t_state = new ThreadState(key.ToArray());
        }

        return t_state;
    }

    /// <summary>One thread's HMAC with its key absorbed, and its memos (each made on first use).</summary>
    private sealed class ThreadState(byte[] key) : IDisposable
    {
        public byte[] Key { get; } = key;

        public IncrementalHash Hmac { get; } = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);

        // Per slot: the value's length + 1 (0 = empty), the value, its hex digest.
        public byte[] TextCache => field ??= new byte[CacheSlots * SlotBytes];

        // Empty slots hold a value that belongs in another slot, so no lookup matches them: 0 belongs in slot 0, so every
        // other slot holds 0 (and mask 0), and slot 0 holds 1.
        public long[] Int32Cache => field ??= EmptyCache(1);

        public long[] Int64Cache => field ??= EmptyCache(2);

        private KeyedIntegerPermutation Permutation => field ??= KeyedIntegerPermutation.For(Key);

        private IncrementalHash? _roundHmac;

        private IncrementalHash RoundHmac => _roundHmac ??= Permutation.CreateRoundHmac();

        /// <summary>The mask of an <c>INTEGER</c>, remembered in its <see cref="Int32Cache"/> slot.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // The rare path: kept out of the row loop.
        public int Mask(long* slot, int value)
        {
            int result = Permutation.Permute(value, RoundHmac);
            *slot = ((long)result << 32) | (uint)value;
            return result;
        }

        /// <summary>The mask of a <c>BIGINT</c>, remembered in its <see cref="Int64Cache"/> slot.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // The rare path: kept out of the row loop.
        public long Mask(long* slot, long value)
        {
            long result = Permutation.Permute(value, RoundHmac);
            slot[0] = value;
            slot[1] = result;
            return result;
        }

        public void Dispose()
        {
            Hmac.Dispose();
            _roundHmac?.Dispose();
        }

        private static long[] EmptyCache(int longsPerSlot)
        {
            var cache = new long[CacheSlots * longsPerSlot];
            cache[0] = 1;
            return cache;
        }
    }

    private static int Slot(ReadOnlySpan<byte> value)
    {
        var hash = default(HashCode);
        hash.AddBytes(value);
        return hash.ToHashCode() & (CacheSlots - 1);
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
