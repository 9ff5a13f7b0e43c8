using System.Text.Json;
using Json.Schema;

namespace Medallion.Server.Tests;

/// <summary>A file of JSON schemas beside the test assembly (definitions under <c>$defs</c>), for checking an API's answers.</summary>
/// <param name="relativePath">The file, relative to the test assembly's folder.</param>
/// <param name="id">The file's <c>$id</c>.</param>
internal sealed class JsonSchemaFile(string relativePath, string id)
{
    private readonly Lazy<BuildOptions> _options = new(() =>
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, relativePath), options);
        return options;
    });

    /// <summary>Fails with every error when <paramref name="value"/> is not a valid <paramref name="definition"/> (a name under <c>$defs</c>).</summary>
    public void AssertValid(string definition, JsonElement value)
    {
        JsonSchema schema = JsonSchema.FromText($$"""{"$ref": "{{id}}#/$defs/{{definition}}"}""", _options.Value);
        EvaluationResults results = schema.Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid, $"not a valid {definition}: "
            + string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))
            + "\n" + value);
    }
}
