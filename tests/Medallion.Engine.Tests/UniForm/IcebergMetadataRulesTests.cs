using System.Text.Json;
using System.Text.Json.Nodes;
using Medallion.Engine.Tests.Writing;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// The rules <see cref="IcebergReader"/> holds every metadata file to are not vacuous: a UniForm table's own metadata keeps
/// them, and the same file with one id or high-water mark broken, as the reference implementation's invalid examples
/// break them, is refused with the rule it breaks.
/// </summary>
public sealed class IcebergMetadataRulesTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<JsonNode> WrittenMetadataAsync()
    {
        string path = _f.TablePath("t");
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL, name string")
        {
            Properties = new Dictionary<string, string>
            {
                ["delta.universalFormat.enabledFormats"] = "iceberg",
                ["delta.enableIcebergCompatV2"] = "true",
            },
        });
        await _f.Writer.WriteAsync(path, "SELECT i::BIGINT AS id, 'n' || i AS name FROM range(0, 5) r(i)");
        await _f.Writer.WriteAsync(path, "SELECT i::BIGINT AS id, 'n' || i AS name FROM range(5, 9) r(i)");
        return JsonNode.Parse(File.ReadAllText(IcebergReader.Read(path).MetadataPath))!;
    }

    private static List<string> Violations(JsonNode metadata)
    {
        using JsonDocument document = JsonDocument.Parse(metadata.ToJsonString());
        return IcebergMetadataRules.Violations(document.RootElement);
    }

    [Fact]
    public async Task A_uniform_tables_metadata_keeps_every_rule()
    {
        Assert.Empty(Violations(await WrittenMetadataAsync()));
    }

    [Theory]
    [InlineData("current-schema-id", "current-schema-id 7 names no schema")]
    [InlineData("last-column-id", "last-column-id 1 is below field id 2")]
    [InlineData("last-partition-id", "last-partition-id is missing")]
    [InlineData("default-sort-order-id", "default-sort-order-id 3 names no sort order")]
    [InlineData("last-sequence-number", "above last-sequence-number 1")]
    [InlineData("refs", "the main branch is at snapshot")]
    [InlineData("properties", "property current-snapshot-id is reserved")]
    public async Task Metadata_with_one_rule_broken_is_refused_naming_the_rule(string broken, string violation)
    {
        JsonNode metadata = await WrittenMetadataAsync();
        JsonObject root = metadata.AsObject();
        switch (broken)
        {
            case "current-schema-id": root["current-schema-id"] = 7; break;
            case "last-column-id": root["last-column-id"] = 1; break;
            case "last-partition-id": root.Remove("last-partition-id"); break;
            case "default-sort-order-id": root["default-sort-order-id"] = 3; break;
            case "last-sequence-number": root["last-sequence-number"] = 1; break;
            case "refs": root["refs"]!["main"]!["snapshot-id"] = root["snapshots"]![0]!["snapshot-id"]!.GetValue<long>(); break;
            case "properties": root["properties"]!["current-snapshot-id"] = "1"; break;
        }

        Assert.Contains(Violations(metadata), v => v.Contains(violation, StringComparison.Ordinal));
    }
}
