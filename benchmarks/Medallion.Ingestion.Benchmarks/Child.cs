using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>Runs a phase in a child process of this program; the child prints its peak resident set (kB) last.</summary>
internal static class Child
{
    public static Process Start(string phase, string root, string postgres, bool input = false)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = input };
        foreach (string a in new[] { "--phase", phase, root, postgres })
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    /// <summary>Waits for the child; returns its output lines (without the last) and its peak memory in MB.</summary>
    public static (string[] Lines, double PeakMb) Finish(Process child, string phase)
    {
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"phase {phase} failed ({child.ExitCode}):\n{output}");
        }

        string[] lines = output.TrimEnd().Split('\n');
        return (lines[..^1], double.Parse(lines[^1], CultureInfo.InvariantCulture) / 1024);
    }

    public static long PeakResidentKb()
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
