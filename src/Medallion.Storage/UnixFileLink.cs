using System.Runtime.InteropServices;

namespace Medallion.Storage;

/// <summary>The one libc call the local store needs: <c>link(2)</c>, an atomic create-if-absent of a directory entry.</summary>
internal static partial class UnixFileLink
{
    /// <summary>The errno of <c>link(2)</c> when the new path exists (17 on Linux and macOS).</summary>
    public const int EEXIST = 17;

    /// <summary>Creates <paramref name="newPath"/> as a hard link to <paramref name="existingPath"/>; 0 on success, else -1 with errno set.</summary>
    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial int Link(string existingPath, string newPath);
}
