namespace Medallion.Cli.Tests;

/// <summary>Projects built from the shared conformance tables.</summary>
internal static class SharedConformance
{
    /// <summary>
    /// Makes <paramref name="project"/> a project named <c>shop</c> whose storage holds a copy of the conformance table
    /// dat-basic_append (version 0: 3 rows, version 1: 5 rows) as <c>gold.basic_append</c>.
    /// </summary>
    public static void CreateShopProject(string project)
    {
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "medallion.yml"), "name: shop\nstorage: warehouse\n");
        ConformanceTables.CopyTo("dat-basic_append", Path.Combine(project, "warehouse", "gold", "basic_append"));
    }
}
