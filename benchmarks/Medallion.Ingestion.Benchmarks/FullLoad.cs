using System;
using System.Globalization;
using System.Linq;
using Medallion.Benchmarks;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>
/// Full load against the source ceiling, alternated over three rounds so that a change in the machine's load touches
/// both sides; the ratio is of the medians.
/// </summary>
internal static class FullLoad
{
    private const int Rounds = 3;

    public static void Run(string root, string postgres, long rows)
    {
        // The launcher builds the CLI when a source changed; that happens here, before anything is timed.
        Console.WriteLine($"Full load (rows/s from each process's own clock; peak = its VmHWM); CLI: {MedallionCli.Build()}");
        var ceilings = new Result[Rounds];
        var fulls = new Result[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            ceilings[round] = Measure("ceiling: Npgsql binary COPY, typed reads, discarded", "ceiling", root, postgres, rows);
            fulls[round] = Measure("medallion ingest (full) into bronze (Delta), the CLI", "full", root, postgres, rows);
        }

        Result stage = Measure("reading into DuckDB batches alone (sink drops them)", "stage", root, postgres, rows);
        Result ceiling = Median(ceilings), ours = Median(fulls);
        double ratio = ours.RowsPerSecond / ceiling.RowsPerSecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Full load (medians of {Rounds}): {ours.RowsPerSecond:N0} rows/s vs ceiling {ceiling.RowsPerSecond:N0} rows/s = {ratio:0.00}x (reading alone {stage.RowsPerSecond / ceiling.RowsPerSecond:0.00}x) (target >= 0.90x: {(ratio >= 0.9 ? "met" : "MISSED")}); peak memory {ours.PeakMb:N0} MB (ceiling {ceiling.PeakMb:N0} MB); load average {Child.LoadAverage()}"));
    }

    private static Result Measure(string title, string phase, string root, string postgres, long expected)
    {
        using System.Diagnostics.Process child = Child.Start(phase, root, postgres);
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

    private static Result Median(Result[] rounds) => rounds.OrderBy(r => r.RowsPerSecond).ElementAt(rounds.Length / 2);

    private readonly record struct Result(double RowsPerSecond, double PeakMb);
}
