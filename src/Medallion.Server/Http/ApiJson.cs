using System.Text.Json;
using System.Text.Json.Serialization;

namespace Medallion.Server.Http;

/// <summary>The REST API's JSON: snake_case names and enum values, as the CLI's <c>--format json</c> writes them.</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // Answers are application/json, never HTML, so quotes and apostrophes in messages and names stay readable.
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }
}

/// <summary>The body of every error answer: what was wrong, in one sentence a person can act on.</summary>
/// <param name="Error">The message.</param>
public sealed record ApiError(string Error);
