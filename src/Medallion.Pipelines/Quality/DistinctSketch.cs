using System;
using System.Globalization;

namespace Medallion.Pipelines.Quality;

/// <summary>
/// A HyperLogLog sketch of a column's distinct values: one aggregate, added to a scan that already happens, and its
/// estimate (Ertl's improved estimator, as DuckDB's own) finished here.
/// </summary>
/// <remarks>
/// Not DuckDB's <c>approx_count_distinct</c>: in DuckDB 1.5 it keeps 64 registers, about 13 % standard error (1,249 for
/// 1,000 values, 18,240 for 20,000 in our tests). This sketch keeps 4,096 (about 1.6 %), as a 16 KB bitstring per column
/// with one bit per register and rank, set by <c>bitstring_agg</c>: each value costs a hash and a bit, and the state
/// stays the same size however many rows or values there are. A register's value is its highest rank set.
/// </remarks>
internal static class DistinctSketch
{
    /// <summary>Hash bits choosing the register.</summary>
    private const int P = 12;

    private const int Registers = 1 << P;

    /// <summary>Hash bits whose trailing zeros give the rank (1 to Q + 1): enough for trillions of distinct values.</summary>
    private const int Q = 31;

    private const int Ranks = Q + 1;

    /// <summary>
    /// The aggregate sketching <paramref name="quotedColumn"/> (NULLs left out), as a VARCHAR of <c>0</c> and <c>1</c>; NULL
    /// when there are no values. <paramref name="filter"/> is a FILTER clause or empty.
    /// </summary>
    public static string Aggregate(string quotedColumn, string filter)
    {
        string rest = $"((hash({quotedColumn}) >> {P}) | {1L << Q})";
        string slot = $"(hash({quotedColumn}) & {Registers - 1}) * {Ranks} + bit_count(xor({rest}, {rest} - 1)) - 1";
        return string.Create(CultureInfo.InvariantCulture,
            $"CAST(bitstring_agg(CASE WHEN {quotedColumn} IS NOT NULL THEN CAST({slot} AS INTEGER) END, 0, {(Registers * Ranks) - 1}){filter} AS VARCHAR)");
    }

    /// <summary>The estimated number of distinct values of a sketch made by <see cref="Aggregate"/>; 0 for none (null).</summary>
    /// <exception cref="FormatException">The text is not such a sketch.</exception>
    public static long Estimate(string? bits)
    {
        if (bits is null)
        {
            return 0;
        }

        if (bits.Length != Registers * Ranks)
        {
            throw new FormatException($"A distinct-count sketch has {Registers * Ranks} bits, not {bits.Length}.");
        }

        // counts[k]: registers whose highest rank is k (0: none).
        var counts = new int[Ranks + 1];
        for (int register = 0; register < Registers; register++)
        {
            int highest = bits.AsSpan(register * Ranks, Ranks).LastIndexOf('1');
            counts[highest + 1]++;
        }

        // Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284), algorithm 6.
        const double m = Registers;
        double z = m * Tau((m - counts[Q + 1]) / m);
        for (int k = Q; k >= 1; k--)
        {
            z = 0.5 * (z + counts[k]);
        }

        z += m * Sigma(counts[0] / m);
        return (long)Math.Round(m * m / (2 * Math.Log(2)) / z);
    }

    private static double Sigma(double x)
    {
        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        double y = 1;
        double z = x;
        double previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (previous != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x is 0 or 1)
        {
            return 0;
        }

        double y = 1;
        double z = 1 - x;
        double previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (previous != z);
        return z / 3;
    }
}
