using System;
using System.IO;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

/// <summary>Finds the shared conformance tables (<c>&lt;repo&gt;/../shared/conformance/delta</c>) and copies them to temp dirs.</summary>
public static class Conformance
{
    private static readonly Lazy<string> s_root = new(Locate);

    public static string Root => s_root.Value;

    private static string Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "conformance", "delta");
            if (File.Exists(Path.Combine(candidate, "MANIFEST.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("shared/conformance/delta was not found above " + AppContext.BaseDirectory);
    }

    public static string TablePath(string caseName) => Path.Combine(Root, caseName, "table");

    /// <summary>Opens a case's table in place (read-only use).</summary>
    public static DeltaTable Open(string caseName, IParquetHandler? parquet = null) =>
        new(new LocalObjectStore(TablePath(caseName)), parquet);

    /// <summary>Copies a case's table into <paramref name="target"/> (for tests that change files or mtimes).</summary>
    public static void CopyTo(string caseName, string target)
    {
        string source = TablePath(caseName);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }
}
