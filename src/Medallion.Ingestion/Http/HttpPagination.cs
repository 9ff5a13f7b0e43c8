namespace Medallion.Ingestion.Http;

/// <summary>How an HTTP API source pages through its results.</summary>
public enum HttpPagination
{
    /// <summary>One request; its records are everything.</summary>
    None,

    /// <summary>A page-number parameter (<see cref="HttpApiSourceOptions.PageParameter"/>), from <see cref="HttpApiSourceOptions.FirstPage"/>, until a page has no records or fewer than the page size.</summary>
    PageNumber,

    /// <summary>An offset parameter advanced by the records received, with a limit, until a page has no records or fewer than the limit.</summary>
    Offset,

    /// <summary>A next-page token read from the response at <see cref="HttpApiSourceOptions.CursorPath"/> and sent back in <see cref="HttpApiSourceOptions.CursorParameter"/>, until it is missing, null or empty.</summary>
    Cursor,

    /// <summary>The RFC 8288 <c>Link: &lt;url&gt;; rel="next"</c> response header, until a response has none.</summary>
    LinkHeader,
}
