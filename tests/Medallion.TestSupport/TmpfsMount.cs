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
        RootCommand.Run("mount", "-t", "tmpfs", "-o", $"size={sizeKib}k,mode=0700", "tmpfs", path);
    }

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Free bytes on the file system, as the kernel counts them.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Grows the file system to <paramref name="sizeKib"/> KiB, keeping what it holds (space returning).</summary>
    public void Resize(int sizeKib) => RootCommand.Run("mount", "-o", $"remount,size={sizeKib}k", Path);

    /// <summary>Makes the file system read-only, keeping what it holds (as a disk remounted read-only after an error).</summary>
    public void MakeReadOnly() => RootCommand.Run("mount", "-o", "remount,ro", Path);

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
        RootCommand.Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover empty mount point is harmless.
        }
    }
}
