using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Medallion.Spark.Internal;

/// <summary>Source-generated JSON for the lists and maps Spark writes into ErrorInfo metadata (trim- and AOT-safe).</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SparkJsonContext : JsonSerializerContext;
