using System;
using System.Diagnostics;
using System.Globalization;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>Full load against the source ceiling, ceiling measured before and after so a load change shows.</summary>
internal static class FullLoad
{
    public static void Run(string root, string postgres, long rows)
    {
        Console.WriteLine("Full load (rows/s from each child's own clock; peak = child VmHWM):");
        Result before = Measure("ceiling: Npgsql binary COPY, typed reads, discarded", "ceiling", root, postgres, rows);
        Result stage = Measure("  of which reading into DuckDB batches (sink drops them)", "stage", root, postgres, rows);
        Result ours = Measure("medallion ingest --mode full into bronze (Delta)", "full", root, postgres, rows);
        Result after = Measure("ceiling again", "ceiling", root, postgres, rows);
        double ceiling = (before.RowsPerSecond + after.RowsPerSecond) / 2;
        double ratio = ours.RowsPerSecond / ceiling;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Full load: {ours.RowsPerSecond:N0} rows/s vs ceiling {ceiling:N0} rows/s = {ratio:0.00}x (reading alone {stage.RowsPerSecond / ceiling:0.00}x) (target >= 0.70x: {(ratio >= 0.7 ? "met" : "MISSED")}); peak memory {ours.PeakMb:N0} MB (ceiling {before.PeakMb:N0} MB); load average {Child.LoadAverage()}"));
    }

    private static Result Measure(string title, string phase, string root, string postgres, long expected)
    {
        using Process child = Child.Start(phase, root, postgres);
        (string[] lines, double peakMb) = Child.Finish(child, phase);
        string[] words = lines[^1].Split(' ');
        long rows = long.Parse(words[1], CultureInfo.InvariantCulture);
        double seconds = double.Parse(words[3], CultureInfo.InvariantCulture);
        if (rows != expected)
        {
            throw new InvalidOperationException($"{phase} moved {rows} rows, expected {expected}: {lines[^1]}");
        }

        double rate = rows / seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {title,-55} {seconds,8:0.00} s {rate,12:N0} rows/s  peak {peakMb,6:N0} MB  ({string.Join(' ', words[4..])})"));
        return new Result(rate, peakMb);
    }

    private readonly record struct Result(double RowsPerSecond, double PeakMb);
}
