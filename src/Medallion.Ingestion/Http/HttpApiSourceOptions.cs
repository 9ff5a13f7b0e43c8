using System;
using System.Collections.Generic;

namespace Medallion.Ingestion.Http;

/// <summary>
/// What an HTTP API source reads: the endpoint, its paging, its credentials, where the records are in a response,
/// and the incremental parameter. Secrets (and any other text) may be written as <c>${ENV_VAR}</c>; they are
/// resolved when a run starts, never stored and never printed (URLs in messages and in bronze show the
/// <c>${ENV_VAR}</c> form again).
/// </summary>
public sealed record HttpApiSourceOptions
{
    /// <summary>The source's name as the user knows it; every error names it.</summary>
    public required string SourceName { get; init; }

    /// <summary>The first request's URL (absolute http or https), possibly with query parameters.</summary>
    public required string Url { get; init; }

    /// <summary>Extra request headers (values may hold <c>${ENV_VAR}</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The kind of credentials sent.</summary>
    public HttpAuthKind Auth { get; init; } = HttpAuthKind.None;

    /// <summary>Bearer: the token; API key: the key.</summary>
    public string? Token { get; init; }

    /// <summary>Basic: the user name.</summary>
    public string? User { get; init; }

    /// <summary>Basic: the password.</summary>
    public string? Password { get; init; }

    /// <summary>API key: the header that carries it.</summary>
    public string ApiKeyHeader { get; init; } = "X-API-Key";

    /// <summary>
    /// Where the records are in a response: property names separated by dots (<c>data.items</c>); empty when the
    /// response itself is the array of records (a lone object is then one record).
    /// </summary>
    public string RecordsPath { get; init; } = string.Empty;

    /// <summary>How the source pages.</summary>
    public HttpPagination Pagination { get; init; } = HttpPagination.None;

    /// <summary>Page numbers: the parameter carrying the page number.</summary>
    public string PageParameter { get; init; } = "page";

    /// <summary>Page numbers: the first page's number.</summary>
    public int FirstPage { get; init; } = 1;

    /// <summary>Page numbers and offsets: the parameter carrying the page size (<c>per_page</c>, <c>limit</c>); not sent when null.</summary>
    public string? PageSizeParameter { get; init; }

    /// <summary>Page numbers and offsets: records per page; a shorter page is the last.</summary>
    public int? PageSize { get; init; }

    /// <summary>Offsets: the parameter carrying the offset.</summary>
    public string OffsetParameter { get; init; } = "offset";

    /// <summary>Cursor: where the next-page token is in a response (dotted path, e.g. <c>meta.next_cursor</c>).</summary>
    public string CursorPath { get; init; } = "next";

    /// <summary>Cursor: the parameter the token is sent back in.</summary>
    public string CursorParameter { get; init; } = "cursor";

    /// <summary>A guard against an API that never stops paging: the run fails when it would read more pages.</summary>
    public int MaxPages { get; init; } = 100_000;

    /// <summary>
    /// Incremental: the record field whose largest value is kept as the position (e.g. <c>updated_at</c>); with
    /// <see cref="IncrementalParameter"/> it makes the source incremental (each run appends what is new).
    /// </summary>
    public string? IncrementalField { get; init; }

    /// <summary>Incremental: the query parameter the last value is sent in (e.g. <c>updated_since</c>).</summary>
    public string? IncrementalParameter { get; init; }

    /// <summary>Incremental: the value sent on the first run (nothing is sent when null).</summary>
    public string? IncrementalStart { get; init; }

    /// <summary>Nested objects as JSON text or flattened into columns.</summary>
    public NestedJson Nested { get; init; } = NestedJson.Json;

    /// <summary>How many times a request is tried before the run fails (429, 5xx, timeouts, refused connections).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The delay before the first retry when the server gives no <c>Retry-After</c>; it doubles for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts, <c>Retry-After</c> included (a longer demand fails the run at once).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one request may take before it counts as a timeout (and is retried).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Resolves <c>${NAME}</c>; the process environment when null.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>The run's id, stored in bronze's <c>_run_id</c>; a new one per read when null.</summary>
    public string? RunId { get; init; }

    /// <summary>True when the source appends what is new since the last run rather than replacing bronze.</summary>
    public bool IsIncremental => IncrementalField is not null;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SourceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(Url);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPages, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(RetryDelay.Ticks);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        if (PageSize is int size)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(PageSize));
        }

        if (Pagination == HttpPagination.Offset && PageSize is null)
        {
            throw new ArgumentException($"Source '{SourceName}': offset pagination needs a page size (the limit).", nameof(PageSize));
        }

        if (IncrementalParameter is not null && IncrementalField is null)
        {
            throw new ArgumentException($"Source '{SourceName}': an incremental parameter needs the record field its value comes from.", nameof(IncrementalField));
        }
    }
}
