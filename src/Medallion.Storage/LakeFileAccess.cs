using System;
using System.IO;

namespace Medallion.Storage;

/// <summary>
/// Who may read what the lake writes on a local disk: its folders and files are created readable by their owner only
/// (0700 and 0600), as the catalog is, since they hold the data itself (Parquet files, the audit table, raw files) and
/// the process's umask usually leaves them readable by every local user. A folder shared with a team on purpose (its
/// group may write to it, as a setgid team folder is made) passes group access on to what is created in it (0770 and
/// 0660). On Windows files inherit the ACL of their folder and nothing is changed.
/// </summary>
public static class LakeFileAccess
{
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupFolder = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
    private const UnixFileMode GroupFile = UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Creates <paramref name="path"/> and its missing parents, each 0700 (0770 below a folder its group may write to).</summary>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    public static void CreateDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(full))
        {
            return;
        }

        // Each missing level with the mode: Directory.CreateDirectory gives a mode to the last folder only.
        string? parent = Path.GetDirectoryName(full);
        if (parent is not null)
        {
            CreateDirectory(parent);
        }

        bool shared = SharedWithGroup(full);
        try
        {
            Directory.CreateDirectory(full, shared ? OwnerFolder | GroupFolder : OwnerFolder);
        }
        catch (IOException) when (Directory.Exists(full))
        {
            // Made at the same moment by another writer.
            return;
        }

        if (shared)
        {
            // The umask takes the group's write away (022 usually), and with it the sharing of what goes below; a team
            // folder's setgid bit, which the new folder inherited, stays.
            File.SetUnixFileMode(full, OwnerFolder | GroupFolder | (File.GetUnixFileMode(full) & UnixFileMode.SetGroup));
        }
    }

    /// <summary>The mode to create a file with in <paramref name="directory"/>: 0600, or 0660 in a folder its group may write to.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static UnixFileMode FileMode(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return SharedWithGroup(directory) ? OwnerFile | GroupFile : OwnerFile;
    }

    /// <summary>
    /// Gives a file another program wrote (DuckDB's COPY) the mode this class gives its own, and the folders between it and
    /// <paramref name="root"/> (which that program created: partition folders) the folder mode.
    /// </summary>
    /// <exception cref="IOException">The mode cannot be changed.</exception>
    public static void Restrict(string file, string root)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(root);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string top = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string? folder = Path.GetDirectoryName(Path.GetFullPath(file));
        File.SetUnixFileMode(file, FileMode(folder!));
        while (folder is not null && folder.Length > top.Length && folder.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            string? parent = Path.GetDirectoryName(folder);
            File.SetUnixFileMode(folder, parent is not null && SharedWithGroup(parent) ? OwnerFolder | GroupFolder : OwnerFolder);
            folder = parent;
        }
    }

    /// <summary>Whether the nearest existing folder at or above <paramref name="path"/> lets its group write, and not everyone.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool SharedWithGroup(string path)
    {
        for (string? folder = Path.GetFullPath(path); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.Exists(folder))
            {
                // A folder everyone may write to (/tmp) is nobody's team folder.
                UnixFileMode mode = File.GetUnixFileMode(folder);
                return (mode & UnixFileMode.GroupWrite) != 0 && (mode & UnixFileMode.OtherWrite) == 0;
            }
        }

        return false;
    }
}
