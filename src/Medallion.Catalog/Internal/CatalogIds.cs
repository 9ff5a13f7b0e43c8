using System;
using System.Globalization;
using System.Threading;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The ids of runs and backfills: version 7 UUIDs as 32 hex digits, which sort as they were made. The catalog reads that
/// order as "newest" (the latest run of a job is its greatest id, pages walk ids), so two ids made in the same
/// millisecond, or under a clock that stands still or steps back, must still sort in the order they were made:
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> fills all but the millisecond with random bits, so a second id of
/// the same millisecond sorts before the first half the time. An id that would not sort after the last one this process
/// made is that one plus one instead (RFC 9562, 6.2: the random bits as a counter).
/// </summary>
internal static class CatalogIds
{
    // The bits of a version 7 UUID, most significant first: 48 of Unix milliseconds, 4 of version, 12 random (rand_a),
    // 2 of variant, 62 random (rand_b). The 122 that are not version or variant count up together.
    private const int RandBBits = 62;
    private const int RandABits = 12;
    private static readonly UInt128 s_randBMask = (UInt128.One << RandBBits) - 1;
    private static readonly UInt128 s_randAMask = (UInt128.One << RandABits) - 1;
    private static readonly UInt128 s_timestampMask = (UInt128.One << 48) - 1;
    private static readonly UInt128 s_fixedBits = UInt128.Parse("00000000000070008000000000000000", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly Lock s_gate = new();
    private static UInt128 s_last;

    /// <summary>A new id stamped with <paramref name="now"/>, greater than every id this process made before.</summary>
    public static string Next(DateTimeOffset now)
    {
        UInt128 id = UInt128.Parse(Guid.CreateVersion7(now).ToString("N"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        lock (s_gate)
        {
            if (id <= s_last)
            {
                id = Successor(s_last);
            }

            s_last = id;
        }

        return id.ToString("x32", CultureInfo.InvariantCulture);
    }

    /// <summary>The next id after <paramref name="id"/>: its 122 counting bits plus one, the version and variant kept.</summary>
    internal static UInt128 Successor(UInt128 id)
    {
        UInt128 randB = id & s_randBMask;
        UInt128 randA = (id >> (RandBBits + 2)) & s_randAMask;
        UInt128 timestamp = (id >> (RandBBits + 2 + RandABits + 4)) & s_timestampMask;
        UInt128 count = ((timestamp << (RandABits + RandBBits)) | (randA << RandBBits) | randB) + 1;
        return ((count >> (RandABits + RandBBits)) << (RandBBits + 2 + RandABits + 4))
            | (((count >> RandBBits) & s_randAMask) << (RandBBits + 2))
            | (count & s_randBMask)
            | s_fixedBits;
    }
}
