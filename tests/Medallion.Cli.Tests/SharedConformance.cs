namespace Medallion.Cli.Tests;

/// <summary>Finds the shared conformance tables, which sit beside the repository in <c>shared/conformance/delta</c>.</summary>
internal static class SharedConformance
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

    public static string Root => s_root.Value;

    /// <summary>
    /// Makes <paramref name="project"/> a project named <c>shop</c> whose storage holds a copy of the conformance table
    /// dat-basic_append (version 0: 3 rows, version 1: 5 rows) as <c>gold.basic_append</c>.
    /// </summary>
    public static void CreateShopProject(string project)
    {
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "medallion.yml"), "name: shop\nstorage: warehouse\n");
        string source = Path.Combine(Root, "dat-basic_append", "table");
        string target = Path.Combine(project, "warehouse", "gold", "basic_append");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
