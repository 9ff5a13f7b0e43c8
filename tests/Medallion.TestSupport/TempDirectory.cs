namespace Medallion.TestSupport;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates <c>medallion-&lt;purpose&gt;-&lt;guid&gt;</c> in the temp folder; the purpose tells leftovers apart.</summary>
    public TempDirectory(string purpose = "test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"medallion-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose() => Delete(Path);

    /// <summary>
    /// Deletes a test's temp folder and all below it, if it is there. A folder a test made read-only is made writable
    /// again first. What still cannot go is left, so that cleanup never fails a test: whoever writes into a folder (a
    /// server, a child process) must have been stopped before it is deleted, or a file it adds meanwhile keeps it.
    /// </summary>
    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (UnauthorizedAccessException)
        {
            GiveOwnerAccess(path);
            TryDelete(path);
        }
        catch (IOException)
        {
            // A file written between the listing of a folder and its removal; what wrote it has stopped by now.
            TryDelete(path);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }

    /// <summary>Gives the owner back read, write and search on <paramref name="folder"/> and every folder below it (not behind a link).</summary>
    private static void GiveOwnerAccess(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (string child in Directory.EnumerateDirectories(folder, "*", new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                GiveOwnerAccess(child);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not ours to change (another user's folder): the delete that follows leaves it.
        }
    }
}
