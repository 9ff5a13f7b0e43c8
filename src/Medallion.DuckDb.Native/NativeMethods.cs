using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Native;

/// <summary>
/// Every import of the DuckDB C API (<c>duckdb.h</c>, v1.5.6), split into nested classes that
/// follow the sections of https://duckdb.org/docs/stable/clients/c/api.
/// </summary>
internal static partial class NativeMethods
{
    /// <summary>The one name every import uses; <see cref="Resolve"/> maps it to a file.</summary>
    internal const string LibraryName = "duckdb";

    internal const string PinnedVersion = "1.5.6-r.1";

#pragma warning disable CA2255 // The resolver must be in place before the first P/Invoke from any caller; a module initializer is the only hook that guarantees it.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterResolver() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }

        foreach (string candidate in CandidatePaths())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException(
            $"The native DuckDB library ({FileName}) was not found next to the application, in MEDALLION_DUCKDB_LIBRARY, " +
            "or in the build cache. Help: build the project (dotnet build or ./medallion), which fetches the pinned " +
            "library with npm, or set MEDALLION_DUCKDB_LIBRARY to the file's path.");
    }

    /// <summary>The library's file name on this operating system, as the npm packages name it.</summary>
    private static string FileName =>
        OperatingSystem.IsWindows() ? "duckdb.dll" : OperatingSystem.IsMacOS() ? "libduckdb.dylib" : "libduckdb.so";

    /// <summary>The platform whose library build/fetch-duckdb.sh keeps in its own folder of the cache.</summary>
    private static string CachePlatform =>
        (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" +
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static System.Collections.Generic.IEnumerable<string> CandidatePaths()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("MEDALLION_DUCKDB_LIBRARY");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            yield return fromEnvironment;
        }

        // A release ships the library beside its single-file binary, whose folder AppContext.BaseDirectory names.
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        string cacheRoot = Environment.GetEnvironmentVariable("MEDALLION_CACHE") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "medallion");
        yield return Path.Combine(cacheRoot, "duckdb", PinnedVersion, CachePlatform, FileName);
    }
}
