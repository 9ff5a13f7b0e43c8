using System.Text.Json;
using System.Text.Json.Serialization;

namespace Medallion.Platform.Privacy;

/// <summary>The JSON form of <see cref="ErasureReport"/>, as it is saved and printed (source-generated: the platform is trimmable).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ErasureReport))]
public sealed partial class ErasureReportJson : JsonSerializerContext;
