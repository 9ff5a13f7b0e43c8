namespace Medallion.Ingestion.Http;

/// <summary>How an HTTP API source authenticates.</summary>
public enum HttpAuthKind
{
    /// <summary>No credentials.</summary>
    None,

    /// <summary><c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    Bearer,

    /// <summary><c>Authorization: Basic base64(user:password)</c>.</summary>
    Basic,

    /// <summary>A header of its own (e.g. <c>X-API-Key</c>) carrying the key.</summary>
    ApiKey,
}
