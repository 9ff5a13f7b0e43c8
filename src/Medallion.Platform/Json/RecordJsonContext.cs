using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;
using Medallion.Catalog;

namespace Medallion.Platform.Json;

/// <summary>
/// The generated serialization metadata of the records in the JSON contract; use it through
/// <see cref="RecordJson.Options"/>, which adds the enum converters.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(IReadOnlyList<TableSummary>))]
[JsonSerializable(typeof(TableDetails))]
[JsonSerializable(typeof(IReadOnlyList<TableVersionInfo>))]
[JsonSerializable(typeof(IReadOnlyList<RunSummary>))]
[JsonSerializable(typeof(RunPage))]
[JsonSerializable(typeof(RunDetails))]
[JsonSerializable(typeof(SourceRunRecord))]
[JsonSerializable(typeof(IReadOnlyList<SourceRunRecord>))]
[JsonSerializable(typeof(IReadOnlyList<JobView>))]
[JsonSerializable(typeof(IReadOnlyList<JobSummary>))]
public sealed partial class RecordJsonContext : JsonSerializerContext;
