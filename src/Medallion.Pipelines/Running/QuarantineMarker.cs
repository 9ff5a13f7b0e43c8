using System.IO;
using System.Text;
using System.Text.Json;

namespace Medallion.Pipelines.Running;

/// <summary>
/// The quarantine table's record of its last rows: the run that wrote them and the model version that makes them
/// true (committed after them). Rows whose model version never came are a crashed build's, and are removed.
/// </summary>
internal sealed record QuarantineMarker(long ModelVersion, string RunId)
{
    public string Serialize()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("modelVersion", ModelVersion);
            json.WriteString("runId", RunId);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The marker, or null when the text is not one (then nothing is removed).</summary>
    public static QuarantineMarker? Parse(string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("modelVersion", out JsonElement version) && version.TryGetInt64(out long modelVersion)
                && root.TryGetProperty("runId", out JsonElement run) && run.GetString() is { } runId
                ? new QuarantineMarker(modelVersion, runId)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
