using System.Diagnostics;

namespace Medallion.Cli.Tests;

/// <summary>
/// A copy of the system's zoneinfo with one zone redefined by zic source lines, for a child process to find through
/// <c>TZDIR</c>: how a test reaches a daylight-saving change, or an offset change, within its minutes. The zone keeps a
/// name DuckDB knows (runs set their job's zone on their session); only the servers' rules are the test's.
/// </summary>
internal sealed class TestZoneInfo : IDisposable
{
    /// <param name="zone">The zone to redefine, e.g. <c>Atlantic/Reykjavik</c>.</param>
    /// <param name="source">zic source lines (Rule and Zone) defining it.</param>
    public TestZoneInfo(string zone, string source)
    {
        CopyFiles("/usr/share/zoneinfo", Directory);
        File.Delete(Path.Combine(Directory, zone));
        string file = Path.Combine(Directory, "test.zi");
        File.WriteAllText(file, source);
        using Process zic = Process.Start(new ProcessStartInfo("zic", ["-d", Directory, file]) { RedirectStandardError = true })!;
        string error = zic.StandardError.ReadToEnd();
        zic.WaitForExit();
        Assert.True(zic.ExitCode == 0, "zic failed: " + error);
    }

    /// <summary>The folder to give as <c>TZDIR</c>.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "medallion-zoneinfo-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void CopyFiles(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        // Not through links: Debian's zoneinfo links posix/ and right/ back into itself.
        foreach (string file in System.IO.Directory.EnumerateFiles(from, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
