namespace Medallion.Pipelines;

/// <summary>Where a model's SQL runs (<c>engine:</c> on a model or a job).</summary>
public enum ModelEngine
{
    /// <summary>In Medallion's own DuckDB, over the tables' Delta snapshots (the default).</summary>
    DuckDb,

    /// <summary>
    /// On a Spark or Databricks cluster through a <c>spark_connect</c> connection: the model's SQL is Spark SQL, Spark
    /// writes the model's Delta table, and Medallion records, checks and audits the version Spark committed.
    /// </summary>
    Spark,
}

/// <summary>The engine a model or job asked for, with the <c>spark_connect</c> connection a Spark one runs on.</summary>
/// <param name="Engine">The engine.</param>
/// <param name="SparkConnection">For <see cref="ModelEngine.Spark"/>: the name of the project's <c>spark_connect</c> connection; null otherwise.</param>
/// <param name="Location">Where <c>engine:</c> is written.</param>
public sealed record EngineChoice(ModelEngine Engine, string? SparkConnection, SourceLocation Location);
