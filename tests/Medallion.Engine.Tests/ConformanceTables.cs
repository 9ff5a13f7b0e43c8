namespace Medallion.Engine.Tests;

/// <summary>Finds the shared conformance tables, which sit beside the repository in <c>shared/conformance/delta</c>.</summary>
internal static class ConformanceTables
{
    public static string Root => ConformanceTables.Root;
}
