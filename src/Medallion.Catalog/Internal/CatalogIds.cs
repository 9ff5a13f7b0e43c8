using System;
using System.Globalization;
using System.Threading;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The ids of runs and backfills: version 7 UUIDs as 32 hex digits, which sort as they were made. The catalog reads that
/// order as "newest" (the latest run of a job is its greatest id, pages walk ids), so two ids made in the same
/// millisecond, or under a clock that stands still or steps back, must still sort in the order they were made:
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> fills all but the millisecond with random bits, so a second id of
/// the same millisecond sorts before the first half the time. And a run's first 64 bits are its Delta transaction number
/// (the <c>txn</c> of its commits, by which a retried attempt knows what an earlier one committed), so two runs must
/// never share them. An id whose first 64 bits would not be above the last id's this process made takes those bits plus
/// one instead (RFC 9562, 6.2: the 12 random bits after the version as a counter, carrying into the millisecond), with
/// fresh random bits after the variant.
/// </summary>
internal static class CatalogIds
{
    // The bits of a version 7 UUID, most significant first: 48 of Unix milliseconds, 4 of version, 12 random (rand_a),
    // 2 of variant, 62 random (rand_b). The 60 of milliseconds and rand_a count up together.
    private const int RandABits = 12;
    private static readonly UInt128 s_high = ((UInt128)ulong.MaxValue) << 64;
    private static readonly UInt128 s_randAMask = (UInt128.One << RandABits) - 1;
    private static readonly UInt128 s_timestampMask = (UInt128.One << 48) - 1;
    private static readonly UInt128 s_versionBits = UInt128.Parse("00000000000070000000000000000000", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly Lock s_gate = new();
    private static UInt128 s_last;

    /// <summary>A new id stamped with <paramref name="now"/>, whose first 64 bits are above those of every id this process made before.</summary>
    public static string Next(DateTimeOffset now)
    {
        UInt128 id = UInt128.Parse(Guid.CreateVersion7(now).ToString("N"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        lock (s_gate)
        {
            if ((id & s_high) <= (s_last & s_high))
            {
                id = Successor(s_last, id);
            }

            s_last = id;
        }

        return id.ToString("x32", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The next id after <paramref name="last"/>: its millisecond and 12 bits after the version plus one, the version kept,
    /// and the last 64 bits (variant and random) of <paramref name="fresh"/>.
    /// </summary>
    internal static UInt128 Successor(UInt128 last, UInt128 fresh)
    {
        UInt128 randA = (last >> 64) & s_randAMask;
        UInt128 timestamp = (last >> 80) & s_timestampMask;
        UInt128 count = ((timestamp << RandABits) | randA) + 1;
        return ((count >> RandABits) << 80) | s_versionBits | ((count & s_randAMask) << 64) | (fresh & ~s_high);
    }
}
