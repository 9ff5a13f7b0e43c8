using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Medallion.Ingestion.Http;

/// <summary>
/// Reads a JSON HTTP API page by page into bronze batches: one batch per page (staged in DuckDB, so memory is
/// bounded by a page), all of a run committed together at its end. A full source replaces bronze each run; an
/// incremental one sends the largest value of <see cref="HttpApiSourceOptions.IncrementalField"/> seen so far in
/// <see cref="HttpApiSourceOptions.IncrementalParameter"/> and appends what comes back, with that value stored as
/// the source position in the same bronze commit.
/// </summary>
/// <remarks>
/// <para>
/// Bronze columns: one per record field (types inferred from the values; nested objects as JSON text or flattened),
/// plus <c>_page</c> (the page's number in its run, from 1), <c>_request_url</c> (the URL it came from, secrets shown
/// as their <c>${NAME}</c>), <c>_run_id</c>, and the sink's <c>_ingested_at</c>. Fields that appear later become new
/// columns through the sink's schema merge.
/// </para>
/// <para>
/// At the incremental boundary, records carrying exactly the stored value that were already committed are recognised
/// by a hash of their JSON text and skipped, so an API whose parameter is inclusive (<c>&gt;=</c>) repeats nothing.
/// </para>
/// <para>
/// Credentials (<see cref="HttpApiSourceOptions.Auth"/> and <see cref="HttpApiSourceOptions.Headers"/>) are sent only to
/// the origin (scheme, host and port) of the URL: a redirect or a <c>Link</c> next page to another origin, or from https
/// to plain http, fails the run (<see cref="ErrorCode.HttpSourceOriginRefused"/>) before anything is sent there. A source
/// without credentials follows other origins, but never from https to http.
/// </para>
/// </remarks>
public sealed partial class HttpApiSource : IIngestionSource, IDisposable
{
    private readonly HttpApiSourceOptions _options;
    private readonly HttpClient _client;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private SecretResolver? _secrets;
    private List<(string Name, string Value)>? _headers;
    private string _currentUrl = string.Empty;

    /// <summary>Creates the source; nothing is requested (and no secret resolved) before <see cref="ReadAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (e.g. offset paging without a page size).</exception>
    public HttpApiSource(HttpApiSourceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HttpApiSource>();
        // Timeouts are the pipeline's, per attempt; the client's own would cut across retries. Redirects are followed by
        // GetAsync, which knows which origin the credentials belong to; the handler would send custom headers anywhere.
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        _pipeline = BuildPipeline();
    }

    /// <inheritdoc/>
    /// <remarks>The URL as written, without its query (which may hold secrets written inline).</remarks>
    public string Key => "http:" + _options.Url.Split('?', 2)[0];

    /// <summary>The options the source reads with.</summary>
    public HttpApiSourceOptions Options => _options;

    /// <inheritdoc/>
    public async IAsyncEnumerable<SourceBatch> ReadAsync(DuckDbConnection target, SourcePosition? after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        _secrets = new SecretResolver(_options.SourceName, _options.Environment ?? System.Environment.GetEnvironmentVariable);
        Uri url = ResolveRequest();
        IngestionMode mode = _options.IsIncremental ? IngestionMode.Incremental : IngestionMode.Full;
        string? last = _options.IncrementalStart;
        var boundary = new HashSet<string>(StringComparer.Ordinal);
        if (mode == IngestionMode.Incremental && after is not null)
        {
            if (after.Mode != IngestionMode.Incremental || after.CursorColumns.Count != 1 || after.CursorColumns[0] != _options.IncrementalField)
            {
                throw SourceErrors.PositionMismatch(_options.SourceName, _secrets.Redact(url.ToString()), $"it was written by a {after.Mode.ToString().ToLowerInvariant()} read on [{string.Join(", ", after.CursorColumns)}], not an incremental read on [{_options.IncrementalField}]");
            }

            last = after.CursorValues.Count > 0 ? after.CursorValues[0] : last;
            boundary.UnionWith(after.BoundaryKeys.Where(k => k.Count == 1 && k[0] is not null).Select(k => k[0]!));
        }

        if (_options.IncrementalParameter is { } parameter && last is not null)
        {
            url = WithParameter(url, parameter, last);
        }

        url = _options.Pagination switch
        {
            HttpPagination.PageNumber => WithPageSize(WithParameter(url, _options.PageParameter, _options.FirstPage.ToString(CultureInfo.InvariantCulture))),
            HttpPagination.Offset => WithPageSize(WithParameter(url, _options.OffsetParameter, "0")),
            _ => url,
        };

        string runId = _options.RunId ?? Guid.NewGuid().ToString("N");
        string? max = last;
        var maxHashes = new HashSet<string>(boundary, StringComparer.Ordinal);
        long rows = 0, batches = 0;
        int pageNumber = _options.FirstPage;
        long offset = 0;
        using var table = new JsonBatchTable(target);
        for (int page = 1; ; page++)
        {
            if (page > _options.MaxPages)
            {
                throw HttpSourceErrors.InvalidJson(_options.SourceName, _secrets.Redact(url.ToString()), $"the API still had a next page after {_options.MaxPages} pages (max_pages)");
            }

            string shownUrl = _secrets.Redact(url.ToString());
            (JsonDocument body, Uri? link) = await GetAsync(url, cancellationToken).ConfigureAwait(false);
            int received;
            Uri? next;
            using (body)
            {
                received = WriteRecords(body.RootElement, table, page, shownUrl, last, boundary, ref max, maxHashes);
                next = _options.Pagination switch
                {
                    HttpPagination.PageNumber when !IsLastPage(received) => WithParameter(url, _options.PageParameter, (++pageNumber).ToString(CultureInfo.InvariantCulture)),
                    HttpPagination.Offset when !IsLastPage(received) => WithParameter(url, _options.OffsetParameter, (offset += received).ToString(CultureInfo.InvariantCulture)),
                    HttpPagination.Cursor => NextCursor(body.RootElement, url),
                    HttpPagination.LinkHeader when link is not null => Follow(url, link, "links its next page to"),
                    _ => null,
                };
            }

            LogMessages.HttpPage(_logger, _options.SourceName, shownUrl, page, received);
            long staged = table.RecordCount;
            if (staged > 0)
            {
                IReadOnlyList<SourceColumn> columns;
                try
                {
                    columns = await table.LoadAsync(
                        $"CAST({page} AS BIGINT) AS _page, {DuckDbConnection.QuoteLiteral(shownUrl)} AS _request_url, {DuckDbConnection.QuoteLiteral(runId)} AS _run_id",
                        cancellationToken).ConfigureAwait(false);
                }
                catch (DuckDbException e)
                {
                    throw HttpSourceErrors.InvalidJson(_options.SourceName, shownUrl, $"its records cannot be read as a table: {e.Message}", e);
                }

                rows += staged;
                SourcePosition position = mode == IngestionMode.Incremental
                    ? new SourcePosition(mode, rows, [_options.IncrementalField!], max is null ? [] : [max], maxHashes.Order(StringComparer.Ordinal).Select(h => (IReadOnlyList<string?>)[h]).ToArray())
                    : new SourcePosition(mode, rows, [], [], []);
                yield return new SourceBatch(table.QuotedName, columns, ++batches, staged, position, isCommitPoint: false);
            }

            if (next is null)
            {
                yield break;
            }

            url = next;
        }
    }

    /// <inheritdoc/>
    /// <remarks>An API keeps no state for its readers: nothing to release.</remarks>
    public Task AcknowledgeAsync(SourcePosition committed, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    /// <summary>Resolves the URL and credentials of this run; secrets live only in these fields until the run ends.</summary>
    private Uri ResolveRequest()
    {
        string text = _secrets!.Resolve(_options.Url, "url");
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"Source '{_options.SourceName}': 'url' must be an absolute http:// or https:// URL, but it is '{_secrets.Redact(text)}'.\nHelp: write e.g. 'url: https://api.example.com/v1/orders'.");
        }

        _headers = [];
        foreach ((string name, string value) in _options.Headers)
        {
            _headers.Add((name, _secrets.Resolve(value, $"headers.{name}")));
        }

        switch (_options.Auth)
        {
            case HttpAuthKind.Bearer:
                _headers.Add(("Authorization", "Bearer " + _secrets.Resolve(Required(_options.Token, "auth.token"), "auth.token")));
                break;
            case HttpAuthKind.Basic:
                string user = _secrets.Resolve(Required(_options.User, "auth.user"), "auth.user");
                string password = _secrets.Resolve(_options.Password ?? string.Empty, "auth.password");
                _headers.Add(("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password))));
                break;
            case HttpAuthKind.ApiKey:
                _headers.Add((_options.ApiKeyHeader, _secrets.Resolve(Required(_options.Token, "auth.key"), "auth.key")));
                break;
        }

        return url;
    }

    private string Required(string? value, string setting) => value ?? throw new MedallionException(ErrorCode.ProjectFileInvalid,
        $"Source '{_options.SourceName}': {_options.Auth} authentication needs '{setting}'.\nHelp: write it as an environment variable reference, e.g. '{setting.Split('.')[^1]}: ${{API_TOKEN}}'.");

    /// <summary>Writes the page's records to the batch table; returns how many the page had (skipped ones included).</summary>
    private int WriteRecords(JsonElement root, JsonBatchTable table, int page, string shownUrl, string? last, HashSet<string> boundary, ref string? max, HashSet<string> maxHashes)
    {
        if (!JsonRecordWriter.TryFind(root, _options.RecordsPath, out JsonElement records, out string missingAt))
        {
            JsonRecordWriter.TryFind(root, missingAt.Contains('.', StringComparison.Ordinal) ? missingAt[..missingAt.LastIndexOf('.')] : string.Empty, out JsonElement parent, out _);
            throw HttpSourceErrors.InvalidJson(_options.SourceName, shownUrl, $"the records path '{_options.RecordsPath}' is missing at '{missingAt}' ({JsonRecordWriter.Describe(parent)})");
        }

        if (records.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        IEnumerable<JsonElement> items = records.ValueKind switch
        {
            JsonValueKind.Array => records.EnumerateArray(),
            JsonValueKind.Object => [records],
            _ => throw HttpSourceErrors.InvalidJson(_options.SourceName, shownUrl, $"the records at '{(_options.RecordsPath.Length == 0 ? "(the body)" : _options.RecordsPath)}' must be an array of objects, but they are {JsonRecordWriter.Kind(records.ValueKind)}"),
        };

        int count = 0;
        foreach (JsonElement record in items)
        {
            count++;
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw HttpSourceErrors.InvalidJson(_options.SourceName, shownUrl, $"record {count} of page {page} is {JsonRecordWriter.Kind(record.ValueKind)}, not an object");
            }

            if (_options.IncrementalField is { } field && record.TryGetProperty(field, out JsonElement cursor) && JsonRecordWriter.Text(cursor) is { } value)
            {
                string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(record.GetRawText())))[..32];
                if (last is not null && value == last && boundary.Contains(hash))
                {
                    continue;
                }

                int order = max is null ? 1 : JsonRecordWriter.CompareCursor(value, max);
                if (order > 0)
                {
                    max = value;
                    maxHashes.Clear();
                }

                if (order >= 0)
                {
                    maxHashes.Add(hash);
                }
            }

            Utf8JsonWriter writer = table.BeginRecord();
            writer.WriteStartObject();
            JsonRecordWriter.WriteProperties(writer, record, _options.Nested, string.Empty, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
            writer.WriteEndObject();
            table.EndRecord();
        }

        return count;
    }

    private bool IsLastPage(int received) => received == 0 || (_options.PageSize is int size && received < size);

    private Uri? NextCursor(JsonElement root, Uri url) =>
        JsonRecordWriter.TryFind(root, _options.CursorPath, out JsonElement token, out _) && JsonRecordWriter.Text(token) is { Length: > 0 } value
            ? WithParameter(url, _options.CursorParameter, value)
            : null;

    private Uri WithPageSize(Uri url) =>
        _options.PageSizeParameter is { } parameter && _options.PageSize is int size ? WithParameter(url, parameter, size.ToString(CultureInfo.InvariantCulture)) : url;

    /// <summary>The URL with <paramref name="name"/> set to <paramref name="value"/> in its query (replacing an earlier value).</summary>
    internal static Uri WithParameter(Uri url, string name, string value)
    {
        string query = url.Query.TrimStart('?');
        string escapedName = Uri.EscapeDataString(name);
        string pair = escapedName + "=" + Uri.EscapeDataString(value);
        List<string> parts = query.Length == 0 ? [] : query.Split('&').Where(p => p.Length > 0).ToList();
        int at = parts.FindIndex(p => p.Split('=', 2)[0].Equals(escapedName, StringComparison.Ordinal));
        if (at >= 0)
        {
            parts[at] = pair;
        }
        else
        {
            parts.Add(pair);
        }

        return new UriBuilder(url) { Query = string.Join('&', parts) }.Uri;
    }
}
