using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Medallion.Platform.Json;

namespace Medallion.Server.Http;

/// <summary>
/// The REST API's JSON: the records' contract (<see cref="RecordJson"/>, which the CLI's <c>--format json</c> prints
/// too), and the same snake_case names and enum values for the answers only the API gives.
/// </summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        // The records come from the contract's generated metadata; the API's own answers are read by reflection.
        options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        RecordJson.Configure(options);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }
}
