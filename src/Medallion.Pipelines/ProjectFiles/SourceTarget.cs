using Medallion.Catalog;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// The name and table of a source entry that lands in one table (files, an HTTP API, a Debezium endpoint): its
/// <c>target</c>, or <c>bronze.&lt;name&gt;</c> without one; the name is the target's table name when not given.
/// </summary>
internal static class SourceTarget
{
    /// <param name="file">The sources file.</param>
    /// <param name="source">The entry's keys.</param>
    /// <param name="item">The entry, where an error about it points.</param>
    /// <param name="what">The entry as an error names it, e.g. "this HTTP API source".</param>
    /// <param name="exampleName">A name for the examples in errors, e.g. <c>crm_orders</c>.</param>
    public static (string Name, TableName Target) Read(YamlFile file, YamlMap source, YamlNode item, string what, string exampleName)
    {
        string? name = source.String("name");
        TableName target;
        if (source.String("target") is not { } targetText)
        {
            target = new TableName("bronze", name ?? throw file.Error(item, $"{what} has neither 'name' nor 'target'. Expected e.g. 'name: {exampleName}' (it then lands in bronze.{exampleName})."));
        }
        else if (!TableName.TryParse(targetText, out target))
        {
            throw file.Error(source.Value("target")!, $"'target' must name a table as namespace.name, but found '{targetText}'. Expected e.g. 'target: bronze.{exampleName}'.");
        }

        return (name ?? target.Name, target);
    }
}
