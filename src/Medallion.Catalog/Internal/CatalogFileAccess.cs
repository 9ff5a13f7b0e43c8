using System;
using System.IO;

namespace Medallion.Catalog.Internal;

/// <summary>
/// Keeps the catalog file readable by its owner only: it holds the SCRAM verifiers of the PostgreSQL endpoint's users,
/// from which a password can be brute-forced offline.
/// </summary>
/// <remarks>
/// SQLite gives a database's <c>-wal</c>, <c>-shm</c> and <c>-journal</c> files the mode of the database file when it
/// creates them (unix VFS, <c>findCreateFileMode</c>), so creating the database 0600 before SQLite opens it covers them
/// all. On Windows the file inherits the ACL of the user's folder and nothing is changed.
/// </remarks>
internal static class CatalogFileAccess
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode Others = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const UnixFileMode Group = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;

    /// <summary>
    /// Creates the catalog's folder (0700) and an empty database file (0600) when missing; takes read access away from
    /// others on an existing catalog created before Medallion did this (and from its group, unless the group may write
    /// to it: such a catalog is shared with a team on purpose).
    /// </summary>
    public static void Prepare(string databasePath)
    {
        string directory = Path.GetDirectoryName(databasePath)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (!File.Exists(databasePath))
        {
            try
            {
                // An empty file is an empty SQLite database; SQLite fills it in on first write.
                using var created = new FileStream(databasePath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
                return;
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Another process created it at the same moment: restrict it below like any existing catalog.
            }
        }

        foreach (string path in (string[])[databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal"])
        {
            Restrict(path);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Restrict(string path)
    {
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (FileNotFoundException)
        {
            return;
        }

        UnixFileMode restricted = (mode & UnixFileMode.GroupWrite) != 0 ? mode & ~Others : mode & ~(Others | Group);
        if (restricted != mode)
        {
            try
            {
                File.SetUnixFileMode(path, restricted);
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's catalog that we may still read and write (through the group): its owner decides.
            }
        }
    }
}
