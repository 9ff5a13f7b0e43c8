using System.Text.Json;

namespace Medallion.Delta.Iceberg;

/// <summary>One Iceberg table metadata file of a UniForm table (<c>metadata/v&lt;N&gt;.metadata.json</c>).</summary>
/// <param name="Key">The file's key in the table's store, e.g. <c>metadata/v3.metadata.json</c>.</param>
/// <param name="Number">Its <c>N</c>: each conversion writes the next.</param>
/// <param name="Json">The file's text: Iceberg table metadata, format version 2.</param>
public sealed record IcebergMetadataFile(string Key, long Number, string Json)
{
    /// <summary>The Delta version this metadata describes (its <c>converted_delta_version</c> property); null when absent.</summary>
    public long? ConvertedDeltaVersion => Property("converted_delta_version") is { } text && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v : null;

    /// <summary>The metadata's table property <paramref name="name"/>; null when absent.</summary>
    /// <param name="name">A property name, e.g. <c>converted_delta_timestamp</c>.</param>
    public string? Property(string name)
    {
        using JsonDocument document = JsonDocument.Parse(Json);
        return document.RootElement.TryGetProperty("properties", out JsonElement properties)
            && properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }
}
