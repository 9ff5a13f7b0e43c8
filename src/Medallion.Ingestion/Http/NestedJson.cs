namespace Medallion.Ingestion.Http;

/// <summary>What to do with JSON objects nested in a record.</summary>
public enum NestedJson
{
    /// <summary>A nested object or array lands as one column holding its JSON text.</summary>
    Json,

    /// <summary>Nested objects become columns of their own, named by path with underscores (<c>a.b</c> becomes <c>a_b</c>); arrays stay JSON text.</summary>
    Flatten,
}
