using System;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Platform.Json;

/// <summary>
/// The one JSON contract of Medallion's records (tables, table details, versions, runs, run details, source passes,
/// jobs): the REST API answers with it (described at <c>/openapi.json</c>) and the CLI's <c>--format json</c> prints
/// it, so a program reads the same document from either. Names are snake_case, and so are enum values; times are
/// ISO 8601 with their offset; a table's name is <c>{"namespace", "name"}</c>; nothing is left out for being null.
/// </summary>
public static class RecordJson
{
    /// <summary>The contract's options: serialize a record with these (or <see cref="Write{T}"/>), never with defaults.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Writes <paramref name="value"/> with the contract's options into <paramref name="json"/> (which decides the indentation).</summary>
    /// <typeparam name="T">A record type of the contract (see <see cref="RecordJsonContext"/>).</typeparam>
    /// <param name="json">The writer.</param>
    /// <param name="value">The record, or a list of records.</param>
    public static void Write<T>(Utf8JsonWriter json, T value)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonSerializer.Serialize(json, value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
    }

    /// <summary>
    /// Applies the contract to <paramref name="options"/> (a host's, e.g. ASP.NET Core's): its naming, encoding and enum
    /// converters, and the generated metadata of the contract's records ahead of whatever resolver the options had.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <returns><paramref name="options"/>.</returns>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // Answers are application/json, never HTML, so quotes and apostrophes in messages and names stay readable.
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter<TableKind>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<RunStatus>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<RunTrigger>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter<CatchupPolicy>(JsonNamingPolicy.SnakeCaseLower));
        options.TypeInfoResolver = options.TypeInfoResolver is { } other
            ? JsonTypeInfoResolver.Combine(RecordJsonContext.Default, other)
            : RecordJsonContext.Default;
        return options;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        JsonSerializerOptions options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.MakeReadOnly();
        return options;
    }
}
