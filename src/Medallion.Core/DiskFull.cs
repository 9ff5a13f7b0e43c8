using System;
using System.IO;

namespace Medallion;

/// <summary>
/// Tells a write that failed because its disk is full from other I/O failures, whoever reported it (.NET, DuckDB or
/// SQLite), so that every layer says the same thing, "no space left on device", with the path, and never retries it as
/// transient: the disk stays full until someone frees space.
/// </summary>
public static class DiskFull
{
    /// <summary>The words every message about a full disk uses (the text of <c>ENOSPC</c>).</summary>
    public const string Text = "no space left on device";

    // ENOSPC on Linux and macOS; ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL on Windows.
    private const int Enospc = 28, ErrorHandleDiskFull = 39, ErrorDiskFull = 112;

    /// <summary>Whether <paramref name="exception"/>, or one it wraps, reports a full disk.</summary>
    public static bool Caused(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException && (e.HResult & 0xFFFF) is Enospc or ErrorHandleDiskFull or ErrorDiskFull)
            {
                return true;
            }

            // .NET on Unix and DuckDB both quote strerror(ENOSPC).
            if (e.Message.Contains(Text, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the file system holding <paramref name="directory"/> has no space left: for a failure whose reporter does
    /// not say why (SQLite's "disk I/O error" when it cannot grow its shared-memory file).
    /// </summary>
    public static bool At(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
