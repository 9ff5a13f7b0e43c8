using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads <c>engine:</c> and <c>connection:</c> of a model config or a job, as dbt-spark and Databricks users write
/// the engine a model runs on:
/// <code>
/// engine: spark           # or duckdb, the default
/// connection: cluster     # a spark_connect connection of medallion.yml; optional when the project has exactly one
/// </code>
/// A Spark model must reach a <c>spark_connect</c> connection; naming none when the project has none or several, or
/// naming one that is missing or of another type, is an error at the value's file, line and column.
/// </summary>
internal static class EngineReader
{
    public static readonly string[] Keys = ["engine", "connection"];
    private static readonly string[] s_engines = ["duckdb", "spark"];

    /// <summary>The choice written in <paramref name="map"/>; null when it names no engine.</summary>
    /// <param name="map">A model config or a job.</param>
    /// <param name="connections">The project's connections.</param>
    /// <param name="owner">What the map is, for messages (<c>model silver.orders</c>, <c>job nightly</c>).</param>
    public static EngineChoice? Read(YamlMap map, IReadOnlyDictionary<string, ConnectionDefinition> connections, string owner)
    {
        YamlFile file = map.File;
        string? engine = map.Choice("engine", s_engines);
        string? named = map.String("connection");
        if (engine is null)
        {
            return named is null ? null : throw file.Error(map.Value("connection")!, $"'connection' of {owner} names the connection an engine runs on, and {owner} has no 'engine'. Expected 'engine: spark' beside it.", ErrorCode.SparkModelInvalid);
        }

        SourceLocation location = file.Location(map.Value("engine")!);
        if (engine == "duckdb")
        {
            return named is null ? new EngineChoice(ModelEngine.DuckDb, null, location) : throw file.Error(map.Value("connection")!, $"{owner} runs on DuckDB, which needs no connection. Expected no 'connection', or 'engine: spark'.", ErrorCode.SparkModelInvalid);
        }

        List<ConnectionDefinition> spark = connections.Values.Where(c => string.Equals(c.Type, SparkConnectionReader.Type, StringComparison.OrdinalIgnoreCase)).ToList();
        if (named is null)
        {
            return spark.Count switch
            {
                1 => new EngineChoice(ModelEngine.Spark, spark[0].Name, location),
                0 => throw file.Error(map.Value("engine")!, $"{owner} runs on Spark, but medallion.yml has no connection of type spark_connect to run it on. Expected one under 'connections:', e.g. 'cluster: {{type: spark_connect, remote: \"sc://spark.example.com:15002/;token=${{SPARK_TOKEN}};use_ssl=true\"}}'.", ErrorCode.SparkModelInvalid),
                _ => throw file.Error(map.Value("engine")!, $"{owner} runs on Spark, and medallion.yml has {spark.Count} spark_connect connections ({string.Join(", ", spark.Select(c => c.Name).Order(StringComparer.Ordinal))}). Expected 'connection: <name>' naming one.", ErrorCode.SparkModelInvalid),
            };
        }

        if (!connections.TryGetValue(named, out ConnectionDefinition? connection))
        {
            throw file.Error(map.Value("connection")!, $"{owner} runs on connection '{named}', which medallion.yml does not define.{NameSuggester.DidYouMean(named, spark.Select(c => c.Name))} Expected a connection of type spark_connect.", ErrorCode.SparkModelInvalid);
        }

        return string.Equals(connection.Type, SparkConnectionReader.Type, StringComparison.OrdinalIgnoreCase)
            ? new EngineChoice(ModelEngine.Spark, connection.Name, location)
            : throw file.Error(map.Value("connection")!, $"{owner} runs on Spark through connection '{named}', which is of type {connection.Type} (at {connection.Location}). Expected a connection of type spark_connect.", ErrorCode.SparkModelInvalid);
    }
}
