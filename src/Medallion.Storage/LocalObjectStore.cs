using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Storage;

/// <summary>
/// An <see cref="IObjectStore"/> over a directory of the local file system. Keys map to files below the root.
/// </summary>
/// <remarks>
/// <see cref="PutIfAbsentAsync"/> writes a temporary file next to the target, flushes it to disk and then
/// hard-links it into place (<c>link(2)</c>, which fails if the target exists), so a racing writer
/// either sees the complete object or loses the race; it never sees a partial file. Temporary files are
/// hidden from listings.
/// </remarks>
public sealed class LocalObjectStore : IObjectStore
{
    private const string TempSuffix = ".medallion-tmp";
    private readonly string _root;

    /// <summary>Creates a store rooted at <paramref name="rootDirectory"/> (created on first write if missing).</summary>
    public LocalObjectStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
    }

    /// <inheritdoc />
    public string Location => _root;

    /// <inheritdoc />
    /// <remarks>link(2) fails when the target exists, on every local file system.</remarks>
    public bool SupportsConditionalPut => true;

    /// <summary>The absolute local file path of a key: the object itself, which an engine that reads local files opens in place.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageInvalidKey"/> when the key is not a valid relative key.</exception>
    public string GetLocalPath(string key)
    {
        ObjectKeys.Validate(key, _root);
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        int slash = prefix.LastIndexOf('/');
        string directoryKey = slash < 0 ? string.Empty : prefix[..slash];
        string directory = directoryKey.Length == 0 ? _root : Path.Combine(_root, directoryKey.Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        // Names are filtered before the entry is turned into an ObjectInfo, so entries outside the prefix or at or
        // before startAfter cost a directory read but no stat: a Delta log listed from its last checkpoint stays
        // cheap however long its history is.
        string root = _root;
        var enumeration = new FileSystemEnumerable<ObjectInfo>(
            directory,
            (ref FileSystemEntry entry) => new ObjectInfo(KeyOf(root, ref entry), entry.Length, entry.LastWriteTimeUtc),
            new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) =>
            {
                if (entry.IsDirectory || entry.FileName.EndsWith(TempSuffix, StringComparison.Ordinal))
                {
                    return false;
                }

                string key = KeyOf(root, ref entry);
                return key.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(key, startAfter) > 0);
            },
        };

        var found = new List<ObjectInfo>();
        try
        {
            foreach (ObjectInfo info in enumeration)
            {
                cancellationToken.ThrowIfCancellationRequested();
                found.Add(info);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("list", prefix, e);
        }

        // Ordinal order of UTF-16 keys equals byte order of their UTF-8 form except for characters above
        // U+FFFF against U+E000..U+FFFF, which no Delta log file name contains.
        found.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (ObjectInfo info in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static string KeyOf(string root, ref FileSystemEntry entry)
    {
        // Fast path (Unix separators): the key is the entry directory below the root plus the file name.
        ReadOnlySpan<char> directory = Path.TrimEndingDirectorySeparator(entry.Directory);
        ReadOnlySpan<char> trimmedRoot = Path.TrimEndingDirectorySeparator(root.AsSpan());
        if (Path.DirectorySeparatorChar == '/' && directory.SequenceEqual(trimmedRoot))
        {
            return entry.FileName.ToString();
        }

        if (Path.DirectorySeparatorChar == '/' && directory.Length > trimmedRoot.Length && directory.StartsWith(trimmedRoot, StringComparison.Ordinal) && directory[trimmedRoot.Length] == '/')
        {
            return string.Concat(directory[(trimmedRoot.Length + 1)..], "/", entry.FileName);
        }

        string relative = Path.GetRelativePath(root, Path.Join(entry.Directory, entry.FileName));
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = GetLocalPath(key);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound(key, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("read", key, e);
        }
    }

    /// <inheritdoc />
    public async Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = GetLocalPath(key);
        // Asked first because an exception costs more than the read of a small file: a table without a checkpoint pays
        // one for its missing hint at every snapshot. A file deleted in between is still answered as missing.
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("read", key, e);
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        string path = GetLocalPath(key);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            long size = RandomAccess.GetLength(handle);
            if (offset + length > size)
            {
                throw new MedallionException(ErrorCode.StorageIoFailed,
                    $"Cannot read bytes {offset}..{offset + length} of '{key}' in '{_root}': the object has only {size} bytes.",
                    isTransient: false); // The object is shorter than the range asked for, and stays so.
            }

            byte[] buffer = new byte[length];
            int read = 0;
            while (read < length)
            {
                int n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read), offset + read, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new MedallionException(ErrorCode.StorageIoFailed, $"'{key}' in '{_root}' ended after {offset + read} bytes while reading a range.",
                        isTransient: false); // A file that ends early was cut short, and a retry reads the same.
                }

                read += n;
            }

            return buffer;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound(key, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("read", key, e);
        }
    }

    /// <inheritdoc />
    public async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string path = GetLocalPath(key);
        if (File.Exists(path))
        {
            return false;
        }

        string temp = await WriteTempAsync(path, key, content, cancellationToken).ConfigureAwait(false);
        CrashPoint.Reach("store.put-if-absent.before-link");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // MoveFileEx without MOVEFILE_REPLACE_EXISTING fails atomically when the target exists.
                File.Move(temp, path, overwrite: false);
                return true;
            }

            // File.Move(overwrite: false) checks for the target and then rename(2)s, which replaces a target created in
            // between: two racing committers would both "win". link(2) fails atomically with EEXIST instead.
            if (UnixFileLink.Link(temp, path) == 0)
            {
                CrashPoint.Reach("store.put-if-absent.after-link");
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == UnixFileLink.EEXIST)
            {
                return false;
            }

            throw new IOException($"link(2) failed with errno {errno}");
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("write", key, e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string path = GetLocalPath(key);
        string temp = await WriteTempAsync(path, key, content, cancellationToken).ConfigureAwait(false);
        CrashPoint.Reach("store.put.before-rename");
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("write", key, e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = GetLocalPath(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleting what is not there is not an error.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("delete", key, e);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Here an unfinished write is the hidden temporary file of a put (<c>.&lt;name&gt;.&lt;id&gt;.medallion-tmp</c>) that a
    /// process killed before it linked or renamed the file into place left behind, anywhere under the root (a commit's
    /// in <c>_delta_log</c>); listings never show them, so nothing else would ever remove them.
    /// </remarks>
    public Task<int> AbortUnfinishedUploadsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Directory.Exists(_root))
        {
            return Task.FromResult(0);
        }

        int removed = 0;
        try
        {
            foreach (string temp in Directory.EnumerateFiles(_root, "*" + TempSuffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (File.GetLastWriteTimeUtc(temp) < startedBefore.UtcDateTime)
                {
                    File.Delete(temp);
                    removed++;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed("delete", "*" + TempSuffix, e);
        }

        return Task.FromResult(removed);
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var file = new FileInfo(GetLocalPath(key));
        ObjectInfo? info = file.Exists ? new ObjectInfo(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)) : null;
        return Task.FromResult(info);
    }

    private async Task<string> WriteTempAsync(string path, string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + TempSuffix);
        try
        {
            LakeFileAccess.CreateDirectory(directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 4096, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                // The link (or rename) into place keeps the mode: the object is never readable by others, not even for a moment.
                options.UnixCreateMode = LakeFileAccess.FileMode(directory);
            }

            var stream = new FileStream(temp, options);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                // Flush to disk before the move makes the object visible: a crash must not leave an empty commit file.
                stream.Flush(flushToDisk: true);
            }

            return temp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw Failed("write", key, e);
        }
        catch (OperationCanceledException)
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is hidden from listings and harmless.
        }
    }

    private MedallionException NotFound(string key, Exception? inner) =>
        new(ErrorCode.StorageObjectNotFound, $"Object '{key}' does not exist in '{_root}'.", inner);

    /// <summary>
    /// The error for a file system failure of an operation on <paramref name="key"/>. Only a failure that may pass on its
    /// own is transient: a full disk, a refused permission, a read-only file system or a file where a folder must be stay
    /// so until someone acts, and retrying them only delays the message that says what to do.
    /// </summary>
    private MedallionException Failed(string operation, string key, Exception inner)
    {
        string what = $"Could not {operation} '{key}' in '{_root}'";
        if (DiskFull.Caused(inner))
        {
            return new(ErrorCode.StorageFull, $"{what}: {DiskFull.Text}.\nHelp: free space on that disk (or grow it) and run again; nothing was committed.", inner);
        }

        if (inner is UnauthorizedAccessException)
        {
            // .NET's message names the path refused (EACCES and EPERM both come as this exception).
            return new(ErrorCode.StorageAccessDenied,
                $"{what}: permission denied: {inner.Message}\nHelp: let the user running Medallion read and write '{_root}' and the folders in it (or give the project a storage location it may write).", inner);
        }

        if (IsReadOnlyFileSystem(inner))
        {
            return new(ErrorCode.StorageIoFailed,
                $"{what}: the file system holding '{_root}' is read-only.\nHelp: mount it read-write, or give the project a storage location on a writable disk.", inner,
                isTransient: false); // StorageIoFailed is transient by the table; a read-only file system stays so until someone acts.
        }

        if (FileInTheWay(key) is { } file)
        {
            return new(ErrorCode.StorageIoFailed,
                $"{what}: '{file}' is a file, where a folder is needed.\nHelp: move that file away, or give the project a storage location that is a folder.", inner,
                isTransient: false); // The file stays in the way until someone moves it.
        }

        return new(ErrorCode.StorageIoFailed, $"{what}: {inner.Message}", inner);
    }

    /// <summary>Whether <paramref name="e"/> is EROFS (on Unix an <see cref="IOException"/>'s HResult is the errno; Windows says ERROR_WRITE_PROTECT).</summary>
    private static bool IsReadOnlyFileSystem(Exception e) =>
        e is IOException && (OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) == 19 : e.HResult == 30);

    /// <summary>The file that stands where a folder on the way to <paramref name="key"/> (or the root itself) must be, or null.</summary>
    private string? FileInTheWay(string key)
    {
        for (string? folder = Path.GetDirectoryName(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar))); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(folder))
            {
                return folder;
            }
        }

        return null;
    }
}
