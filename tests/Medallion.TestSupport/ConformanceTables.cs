namespace Medallion.TestSupport;

/// <summary>The shared Delta conformance tables, which sit beside the repository in <c>shared/conformance/delta</c>.</summary>
public static class ConformanceTables
{
    private static readonly Lazy<string> s_root = new(() =>
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
    });

    /// <summary>The folder that holds one folder per case.</summary>
    public static string Root => s_root.Value;

    /// <summary>The Delta table of a case, e.g. <c>dat-basic_append</c>.</summary>
    public static string TablePath(string caseName) => Path.Combine(Root, caseName, "table");

    /// <summary>Copies a case's table into <paramref name="target"/>, for tests that change its files.</summary>
    public static void CopyTo(string caseName, string target)
    {
        string source = TablePath(caseName);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
