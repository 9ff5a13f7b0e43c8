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
}
