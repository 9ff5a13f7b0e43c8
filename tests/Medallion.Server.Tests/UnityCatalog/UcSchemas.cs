using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>The answers' JSON schemas (unity-catalog.schema.json), written from Unity Catalog's OpenAPI document.</summary>
internal static class UcSchemas
{
    private static readonly JsonSchemaFile s_file = new(Path.Combine("UnityCatalog", "unity-catalog.schema.json"), "https://medallion.invalid/unity-catalog.schema.json");

    /// <summary>Fails with every error when <paramref name="value"/> is not a valid <paramref name="definition"/> (a name under <c>$defs</c>).</summary>
    public static void AssertValid(string definition, JsonElement value) => s_file.AssertValid(definition, value);
}
