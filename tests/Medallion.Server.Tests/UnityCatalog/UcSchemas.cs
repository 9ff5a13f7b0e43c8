using System.Text.Json;
using Json.Schema;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>The answers' JSON schemas (unity-catalog.schema.json), written from Unity Catalog's OpenAPI document.</summary>
internal static class UcSchemas
{
    private const string Id = "https://medallion.invalid/unity-catalog.schema.json";

    private static readonly Lazy<BuildOptions> s_options = new(() =>
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "UnityCatalog", "unity-catalog.schema.json"), options);
        return options;
    });

    /// <summary>Fails with every error when <paramref name="value"/> is not a valid <paramref name="definition"/> (a name under <c>$defs</c>).</summary>
    public static void AssertValid(string definition, JsonElement value)
    {
        JsonSchema schema = JsonSchema.FromText($$"""{"$ref": "{{Id}}#/$defs/{{definition}}"}""", s_options.Value);
        EvaluationResults results = schema.Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid, $"not a valid {definition}: "
            + string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))
            + "\n" + value);
    }
}
