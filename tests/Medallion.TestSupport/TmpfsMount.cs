using System.Diagnostics;

namespace Medallion.TestSupport;

/// <summary>
/// A small tmpfs mounted on a fresh folder, for tests of a full disk; unmounted and removed on dispose. Mounting needs
/// root, as the tests and CI run here: without it the test fails saying so, never passes without having run.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    /// <summary>Mounts a tmpfs of <paramref name="sizeKib"/> KiB on <paramref name="path"/> (created when missing).</summary>
    /// <exception cref="InvalidOperationException">The mount was refused (not root, or no tmpfs), with mount's own words.</exception>
    public TmpfsMount(string path, int sizeKib)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={sizeKib}k,mode=0700", "tmpfs", path);
    }

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Free bytes on the file system, as the kernel counts them.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Grows the file system to <paramref name="sizeKib"/> KiB, keeping what it holds (space returning).</summary>
    public void Resize(int sizeKib) => Run("mount", "-o", $"remount,size={sizeKib}k", Path);

    /// <summary>Fills the file system, but for about <paramref name="leaveBytes"/>, with a file named <paramref name="name"/>; returns its path.</summary>
    public string Fill(string name, long leaveBytes)
    {
        string filler = System.IO.Path.Combine(Path, name);
        long size = Math.Max(0, FreeBytes - leaveBytes);
        using (var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write))
        {
            byte[] block = new byte[64 * 1024];
            Random.Shared.NextBytes(block);
            for (long written = 0; written < size; written += block.Length)
            {
                stream.Write(block, 0, (int)Math.Min(block.Length, size - written));
            }
        }

        return filler;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Lazily: a process that still has a file open there (a killed child being reaped) must not keep it mounted.
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover empty mount point is harmless.
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {error.Trim()}\nThe disk-full tests mount a small tmpfs and need root (as the tests and CI run); run them as root.");
        }
    }
}
