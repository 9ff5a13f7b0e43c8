using System;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// A keyed permutation of the 64-bit integers that maps the <c>INTEGER</c> range onto itself (and so the rest onto the
/// rest): format-preserving encryption by Feistel networks whose round function is HMAC-SHA-256. An <c>INTEGER</c> masks
/// to an <c>INTEGER</c>, a <c>BIGINT</c> holding the same number masks to the same value, and being a bijection it never
/// merges two values, so distinct counts and joins of masked values are exact.
/// </summary>
/// <remarks>
/// <para>
/// Keys. The round key is HMAC-SHA-256 of the project key under a label of this purpose (HKDF's extract step). The text
/// mask is HMAC-SHA-256 under the project key itself, so no text a user can get masked yields a round value or the
/// round key.
/// </para>
/// <para>
/// The <c>INTEGER</c> range: a balanced Feistel network on 32 bits, ten rounds (as NIST SP 800-38G's FF1), whose round
/// function reads a 16-bit half, so its values are kept in tables shared by every thread and filled as they are met, 16
/// values per HMAC (one digest holds sixteen 16-bit values). A full table is 40,960 HMACs per key, whatever the data.
/// Threads may race to fill one group: they write the same bytes, and the group's bit is set (a full fence) after them.
/// </para>
/// <para>
/// Other numbers: a balanced Feistel network on 64 bits, ten rounds, one HMAC each, walked along its cycle until the
/// result is outside the <c>INTEGER</c> range (cycle walking), which keeps it a permutation of that part; a step lands
/// inside with probability 2^-32. Without the key a masked value tells only whether the number fits an <c>INTEGER</c>.
/// </para>
/// </remarks>
internal sealed class KeyedIntegerPermutation
{
    private const int Rounds = 10;
    private const int GroupBits = 4;
    private const int Groups = (Rounds << 16) >> GroupBits;

    // One instance per key for the life of the process: a server masks with its project's one key.
    private static readonly ConcurrentDictionary<string, KeyedIntegerPermutation> s_byKey = new(StringComparer.Ordinal);

    private readonly byte[] _roundKey;
    private readonly ushort[] _table = new ushort[Rounds << 16];
    private readonly long[] _filled = new long[Groups / 64];

    private KeyedIntegerPermutation(byte[] roundKey) => _roundKey = roundKey;

    /// <summary>The permutation of <paramref name="key"/> (the project key), shared by every thread.</summary>
    public static KeyedIntegerPermutation For(ReadOnlySpan<byte> key)
    {
        byte[] roundKey = HMACSHA256.HashData("Medallion integer mask permutation v1"u8, key);
        return s_byKey.GetOrAdd(Convert.ToHexString(SHA256.HashData(roundKey)), _ => new KeyedIntegerPermutation(roundKey));
    }

    /// <summary>An HMAC under the round key for one thread's calls to <see cref="Permute(int, IncrementalHash)"/> (not thread-safe).</summary>
    public IncrementalHash CreateRoundHmac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _roundKey);

    /// <summary>The image of an <c>INTEGER</c>; <paramref name="hmac"/> is this thread's <see cref="CreateRoundHmac"/>.</summary>
    public int Permute(int value, IncrementalHash hmac)
    {
        uint left = (uint)value >> 16;
        uint right = (uint)value & 0xFFFF;
        for (int round = 0; round < Rounds; round++)
        {
            uint next = left ^ Round32(round, (int)right, hmac);
            left = right;
            right = next;
        }

        return (int)((left << 16) | right);
    }

    /// <summary>The image of any number: <see cref="Permute(int, IncrementalHash)"/>'s inside the <c>INTEGER</c> range, outside it a number outside.</summary>
    public long Permute(long value, IncrementalHash hmac)
    {
        if (value == (int)value)
        {
            return Permute((int)value, hmac);
        }

        long result = value;
        do
        {
            result = Feistel64(result, hmac);
        }
        while (result == (int)result);
        return result;
    }

    private ushort Round32(int round, int half, IncrementalHash hmac)
    {
        int index = (round << 16) | half;
        int group = index >> GroupBits;
        if ((Volatile.Read(ref _filled[group >> 6]) & (1L << (group & 63))) == 0)
        {
            Span<byte> input = [0x20, (byte)round, (byte)(half >> (8 + GroupBits)), (byte)(half >> GroupBits)];
            Span<byte> digest = stackalloc byte[32];
            hmac.AppendData(input);
            hmac.GetHashAndReset(digest);
            int start = group << GroupBits;
            for (int i = 0; i < 1 << GroupBits; i++)
            {
                _table[start + i] = BinaryPrimitives.ReadUInt16BigEndian(digest[(2 * i)..]);
            }

            Interlocked.Or(ref _filled[group >> 6], 1L << (group & 63));
        }

        return _table[index];
    }

    private static long Feistel64(long value, IncrementalHash hmac)
    {
        uint left = (uint)((ulong)value >> 32);
        uint right = (uint)value;
        Span<byte> input = stackalloc byte[6];
        Span<byte> digest = stackalloc byte[32];
        input[0] = 0x40;
        for (int round = 0; round < Rounds; round++)
        {
            input[1] = (byte)round;
            BinaryPrimitives.WriteUInt32BigEndian(input[2..], right);
            hmac.AppendData(input);
            hmac.GetHashAndReset(digest);
            uint next = left ^ BinaryPrimitives.ReadUInt32BigEndian(digest);
            left = right;
            right = next;
        }

        return (long)(((ulong)left << 32) | right);
    }
}
