using System.Globalization;
using System.Net;
using System.Text;
using Medallion.Delta.Snapshots;
using Medallion.Ingestion.Http;

namespace Medallion.Ingestion.Tests;

/// <summary>HTTP API sources against a real HTTP server in the test process, landing in a real bronze Delta table.</summary>
public sealed class HttpApiSourceTests : IDisposable
{
    private readonly DuckDbTarget _target = new();
    private readonly BronzeTable _bronze;

    public HttpApiSourceTests() => _bronze = new BronzeTable(_target);

    public void Dispose()
    {
        _bronze.Dispose();
        _target.Dispose();
    }

    private static HttpApiSourceOptions Options(ApiServer server, string path, Func<HttpApiSourceOptions, HttpApiSourceOptions>? change = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var options = new HttpApiSourceOptions
        {
            SourceName = "crm",
            Url = server.BaseUrl + path,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Environment = name => environment is not null && environment.TryGetValue(name, out string? value) ? value : null,
        };
        return change is null ? options : change(options);
    }

    private async Task<IngestionResult> IngestAsync(HttpApiSourceOptions options)
    {
        using var source = new HttpApiSource(options);
        IngestionResult result = await IngestionRunner.RunAsync(source, _bronze.Sink("crm"), _target.Connection);
        if (Directory.Exists(_bronze.Path))
        {
            await _bronze.ViewAsync();
        }

        return result;
    }

    private static string Items(int from, int to) =>
        "[" + string.Join(",", Enumerable.Range(from, Math.Max(0, to - from + 1)).Select(i => $"{{\"id\":{i},\"name\":\"n{i}\"}}")) + "]";

    private static int Query(HttpListenerRequest request, string name, int fallback) =>
        request.QueryString[name] is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    [Fact]
    public async Task Page_number_pagination_reads_every_page_into_one_commit_with_page_run_and_request_url()
    {
        string[] pages = [Items(1, 2), Items(3, 4), Items(5, 5)];
        using var server = new ApiServer(r => ApiAnswer.Json("{\"data\":{\"items\":" + (Query(r, "page", 0) is int p and >= 1 and <= 3 ? pages[p - 1] : "[]") + "}}"));

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RecordsPath = "data.items",
            Pagination = HttpPagination.PageNumber, PageSizeParameter = "per_page", PageSize = 2, RunId = "run-1",
        }));

        Assert.Equal((3L, 5L), (result.Batches, result.Rows));
        Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        Assert.Equal(
            ["1|n1|1|/orders?page=1&per_page=2|run-1", "3|n3|2|/orders?page=2&per_page=2|run-1", "5|n5|3|/orders?page=3&per_page=2|run-1"],
            _target.Column<string>($"SELECT concat_ws('|', id, name, _page, replace(_request_url, '{server.BaseUrl}', ''), _run_id) FROM bronze WHERE id % 2 = 1 ORDER BY id"));
    }

    [Fact]
    public async Task Offset_pagination_advances_by_the_records_received_until_a_short_page()
    {
        using var server = new ApiServer(r => ApiAnswer.Json(Items(Query(r, "offset", -1) + 1, Math.Min(Query(r, "offset", -1) + Query(r, "limit", 0), 7))));

        IngestionResult result = await IngestAsync(Options(server, "/orders?sort=id", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment,
            Pagination = HttpPagination.Offset, PageSizeParameter = "limit", PageSize = 3,
        }));

        Assert.Equal(7L, result.Rows);
        Assert.Equal(["/orders?sort=id&offset=0&limit=3", "/orders?sort=id&offset=3&limit=3", "/orders?sort=id&offset=6&limit=3"], server.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), _target.Column<long>("SELECT id FROM bronze ORDER BY id"));
    }

    [Fact]
    public async Task Cursor_pagination_sends_the_next_token_from_the_response_until_it_is_null()
    {
        using var server = new ApiServer(r => ApiAnswer.Json(r.QueryString["after"] switch
        {
            null => $"{{\"items\":{Items(1, 2)},\"meta\":{{\"next\":\"tok A\"}}}}",
            "tok A" => $"{{\"items\":{Items(3, 3)},\"meta\":{{\"next\":null}}}}",
            _ => "{\"items\":[]}",
        }));

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RecordsPath = "items",
            Pagination = HttpPagination.Cursor, CursorPath = "meta.next", CursorParameter = "after",
        }));

        Assert.Equal(3L, result.Rows);
        Assert.Equal(["/orders", "/orders?after=tok%20A"], server.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Link_header_pagination_follows_rel_next_relative_to_the_request()
    {
        using var server = new ApiServer(r => r.Url!.AbsolutePath switch
        {
            "/orders" => ApiAnswer.Json(Items(1, 2), ("Link", "</orders/p2?x=1>; rel=\"next\", </orders>; rel=\"first\"")),
            "/orders/p2" => ApiAnswer.Json(Items(3, 4), ("Link", "</orders>; rel=\"first\"")),
            _ => new ApiAnswer(404, "{}"),
        });

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Pagination = HttpPagination.LinkHeader,
        }));

        Assert.Equal(4L, result.Rows);
        Assert.Equal(["/orders", "/orders/p2?x=1"], server.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task A_bearer_token_from_the_environment_is_sent_but_never_stored_in_bronze_or_its_log()
    {
        using var server = new ApiServer(r => r.Headers["Authorization"] == "Bearer s3cr3t-token" ? ApiAnswer.Json(Items(1, 1)) : new ApiAnswer(401, "{}"));

        await IngestAsync(Options(server, "/orders?key=${API_TOKEN}", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Auth = HttpAuthKind.Bearer, Token = "${API_TOKEN}",
        }, new Dictionary<string, string> { ["API_TOKEN"] = "s3cr3t-token" }));

        Assert.Equal("/orders?key=s3cr3t-token", server.Requests.Single().PathAndQuery);
        Assert.Equal(server.BaseUrl + "/orders?key=${API_TOKEN}", _target.Column<string>("SELECT _request_url FROM bronze").Single());
        string log = string.Concat(Directory.GetFiles(Path.Combine(_bronze.Path, "_delta_log"), "*.json").Select(File.ReadAllText));
        Assert.DoesNotContain("s3cr3t", log, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", string.Concat(_target.Column<string>("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM bronze")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_sends_the_user_and_password_from_the_environment()
    {
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ana:pa:ss"));
        using var server = new ApiServer(r => r.Headers["Authorization"] == expected ? ApiAnswer.Json(Items(1, 1)) : new ApiAnswer(401, "{}"));

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Auth = HttpAuthKind.Basic, User = "ana", Password = "${CRM_PASSWORD}",
        }, new Dictionary<string, string> { ["CRM_PASSWORD"] = "pa:ss" }));

        Assert.Equal(1L, result.Rows);
    }

    [Fact]
    public async Task An_api_key_is_sent_in_its_own_header()
    {
        using var server = new ApiServer(r => r.Headers["X-Api-Key"] == "k-123" ? ApiAnswer.Json(Items(1, 1)) : new ApiAnswer(403, "{}"));

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Auth = HttpAuthKind.ApiKey, ApiKeyHeader = "X-Api-Key", Token = "${CRM_KEY}",
        }, new Dictionary<string, string> { ["CRM_KEY"] = "k-123" }));

        Assert.Equal(1L, result.Rows);
    }

    [Fact]
    public async Task A_missing_environment_variable_fails_naming_the_source_setting_and_variable_before_any_request()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json(Items(1, 1)));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Auth = HttpAuthKind.Bearer, Token = "${CRM_TOKEN}",
        })));

        Assert.Equal(ErrorCode.SourceSecretMissing, error.Code);
        Assert.StartsWith("Source 'crm': 'auth.token' refers to the environment variable 'CRM_TOKEN', which is not set.", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData(401, "401 Unauthorized")]
    [InlineData(403, "403 Forbidden")]
    public async Task Rejected_credentials_fail_naming_the_source_url_and_the_secret_reference_but_not_its_value(int status, string answer)
    {
        using var server = new ApiServer(_ => new ApiAnswer(status, "{\"error\":\"bad token\"}"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Auth = HttpAuthKind.Bearer, Token = "${CRM_TOKEN}",
        }, new Dictionary<string, string> { ["CRM_TOKEN"] = "wrong-token" })));

        Assert.Equal(ErrorCode.HttpSourceAuthenticationFailed, error.Code);
        Assert.StartsWith($"Source 'crm': GET {server.BaseUrl}/orders answered {answer}: the API rejected the credentials (bearer token from ${{CRM_TOKEN}}).", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-token", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
        Assert.False(Directory.Exists(_bronze.Path));
    }

    [Fact]
    public async Task A_429_with_retry_after_in_seconds_is_retried_after_that_delay()
    {
        int calls = 0;
        using var server = new ApiServer(_ => Interlocked.Increment(ref calls) == 1
            ? new ApiAnswer(429, "{}", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : ApiAnswer.Json(Items(1, 2)));

        IngestionResult result = await IngestAsync(Options(server, "/orders"));

        DateTime[] at = server.Requests.Select(r => r.At).ToArray();
        Assert.Equal(2L, result.Rows);
        Assert.Equal(2, at.Length);
        Assert.InRange(at[1] - at[0], TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_503_with_retry_after_as_an_http_date_is_retried_after_that_date()
    {
        int calls = 0;
        using var server = new ApiServer(_ => Interlocked.Increment(ref calls) == 1
            ? new ApiAnswer(503, "{}", new Dictionary<string, string> { ["Retry-After"] = DateTimeOffset.UtcNow.AddSeconds(2).ToString("R", CultureInfo.InvariantCulture) })
            : ApiAnswer.Json(Items(1, 1)));

        await IngestAsync(Options(server, "/orders"));

        DateTime[] at = server.Requests.Select(r => r.At).ToArray();
        // HTTP dates have whole seconds, so the wait is between one and two seconds.
        Assert.InRange(at[1] - at[0], TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Persistent_500s_fail_after_the_configured_attempts_naming_the_source_and_url_and_commit_nothing()
    {
        using var server = new ApiServer(r => Query(r, "page", 1) == 1 ? ApiAnswer.Json(Items(1, 2)) : new ApiAnswer(500, "boom"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RetryDelay = o.RetryDelay, MaxAttempts = 3,
            Pagination = HttpPagination.PageNumber, PageSize = 2,
        })));

        Assert.Equal(ErrorCode.HttpSourceRequestFailed, error.Code);
        Assert.True(error.IsTransient);
        Assert.StartsWith($"Source 'crm': GET {server.BaseUrl}/orders?page=2 failed after 3 attempts: the last answer was 500 Internal Server Error.", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.Requests.Count);
        Assert.False(Directory.Exists(Path.Combine(_bronze.Path, "_delta_log")));
    }

    [Fact]
    public async Task A_request_that_times_out_is_retried()
    {
        int calls = 0;
        using var server = new ApiServer(_ => Interlocked.Increment(ref calls) == 1
            ? new ApiAnswer(200, Items(9, 9), Delay: TimeSpan.FromSeconds(3))
            : ApiAnswer.Json(Items(1, 1)));

        IngestionResult result = await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RetryDelay = o.RetryDelay, RequestTimeout = TimeSpan.FromMilliseconds(300),
        }));

        Assert.Equal(1L, result.Rows);
        Assert.Equal([1L], _target.Column<long>("SELECT id FROM bronze"));
    }

    [Fact]
    public async Task Incremental_runs_send_the_last_value_seen_and_append_only_records_not_yet_committed()
    {
        string[] records =
        [
            "{\"id\":1,\"updated_at\":\"2026-01-01T10:00:00Z\"}",
            "{\"id\":2,\"updated_at\":\"2026-01-02T10:00:00Z\"}",
            "{\"id\":3,\"updated_at\":\"2026-01-02T10:00:00Z\"}",
            "{\"id\":4,\"updated_at\":\"2026-01-03T10:00:00Z\"}",
        ];
        int visible = 3;
        // Inclusive, as many APIs are: records updated at or after the value.
        using var server = new ApiServer(r => ApiAnswer.Json("[" + string.Join(",", records.Take(visible).Where(t =>
            r.QueryString["updated_since"] is not { } since || string.CompareOrdinal(t.Split("\"updated_at\":\"")[1][..20], since) >= 0)) + "]"));
        HttpApiSourceOptions options = Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, IncrementalField = "updated_at", IncrementalParameter = "updated_since",
        });

        await IngestAsync(options);
        visible = 4;
        IngestionResult second = await IngestAsync(options);
        Snapshot snapshot = await _bronze.SnapshotAsync();

        Assert.Equal("/orders?updated_since=2026-01-02T10%3A00%3A00Z", server.Requests.Last().PathAndQuery);
        Assert.Equal(1L, second.Rows);
        Assert.Equal(["2026-01-03T10:00:00Z"], second.Position!.CursorValues);
        Assert.Equal([1L, 2L, 3L, 4L], _target.Column<long>("SELECT id FROM bronze ORDER BY id"));
        Assert.Equal(1L, snapshot.Version);
        Assert.Contains("\"cursor\":[\"2026-01-03T10:00:00Z\"]", snapshot.DomainMetadata["medallion.source.crm"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nested_objects_land_as_json_text_by_default()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("[{\"id\":1,\"customer\":{\"name\":\"Ana\",\"address\":{\"city\":\"Recife\"}},\"tags\":[\"a\",\"b\"]}]"));

        await IngestAsync(Options(server, "/orders"));

        Assert.Equal("{\"name\":\"Ana\",\"address\":{\"city\":\"Recife\"}}|[\"a\",\"b\"]", _target.Column<string>("SELECT customer || '|' || tags FROM bronze").Single());
    }

    [Fact]
    public async Task Nested_objects_are_flattened_into_underscored_columns_when_configured()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("[{\"id\":1,\"customer\":{\"name\":\"Ana\",\"address\":{\"city\":\"Recife\"}}}]"));

        await IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, Nested = NestedJson.Flatten,
        }));

        Assert.Equal("Ana|Recife", _target.Column<string>("SELECT customer_name || '|' || customer_address_city FROM bronze").Single());
    }

    [Fact]
    public async Task A_field_that_appears_in_a_later_run_becomes_a_new_column()
    {
        string body = "[{\"id\":1}]";
        using var server = new ApiServer(_ => ApiAnswer.Json(body));
        HttpApiSourceOptions options = Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, IncrementalField = "id",
        });
        await IngestAsync(options);

        body = "[{\"id\":2,\"status\":\"paid\"}]";
        await IngestAsync(options);

        Assert.Equal(["1|null", "2|paid"], _target.Column<string>("SELECT id || '|' || coalesce(status, 'null') FROM bronze ORDER BY id"));
    }

    [Fact]
    public async Task An_invalid_json_page_fails_naming_the_source_url_and_where_the_json_breaks()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("{\"items\": [\n {\"id\": 1,}\n]}"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RecordsPath = "items",
        })));

        Assert.Equal(ErrorCode.HttpSourceResponseInvalid, error.Code);
        Assert.StartsWith($"Source 'crm': the response of GET {server.BaseUrl}/orders is not what the source expects: the body is not valid JSON at line 2, byte 11 (The JSON object contains a trailing comma at the end which is not supported in this mode).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_records_path_missing_from_the_response_fails_naming_the_path_and_what_the_response_has()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("{\"data\":{\"rows\":[]},\"total\":0}"));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(Options(server, "/orders", o => new HttpApiSourceOptions
        {
            SourceName = o.SourceName, Url = o.Url, Environment = o.Environment, RecordsPath = "data.items",
        })));

        Assert.Equal(ErrorCode.HttpSourceResponseInvalid, error.Code);
        Assert.StartsWith($"Source 'crm': the response of GET {server.BaseUrl}/orders is not what the source expects: the records path 'data.items' is missing at 'data.items' (it has rows).", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Options reading <paramref name="path"/> of <paramref name="server"/> with one kind of credential from ${API_SECRET}.</summary>
    private static HttpApiSourceOptions WithCredential(ApiServer server, string path, string credential, HttpPagination pagination = HttpPagination.None) => new()
    {
        SourceName = "crm", Url = server.BaseUrl + path, Pagination = pagination, RetryDelay = TimeSpan.FromMilliseconds(10),
        Environment = name => name == "API_SECRET" ? "s3cr3t" : null,
        Auth = credential switch { "bearer" => HttpAuthKind.Bearer, "api_key" => HttpAuthKind.ApiKey, _ => HttpAuthKind.None },
        Token = credential == "header" ? null : "${API_SECRET}",
        ApiKeyHeader = "X-Api-Key",
        Headers = credential == "header" ? new Dictionary<string, string> { ["X-Tenant-Key"] = "${API_SECRET}" } : new Dictionary<string, string>(),
    };

    private static bool CarriesSecret(Dictionary<string, string> headers) => headers.Values.Any(v => v.Contains("s3cr3t", StringComparison.Ordinal));

    [Theory]
    [InlineData("bearer")]
    [InlineData("api_key")]
    [InlineData("header")]
    public async Task A_link_header_next_page_on_another_origin_fails_naming_both_origins_and_is_never_requested(string credential)
    {
        using var other = new ApiServer(_ => ApiAnswer.Json(Items(3, 4)));
        bool linked = false;
        using var home = new ApiServer(_ => linked ? ApiAnswer.Json(Items(1, 2), ("Link", $"<{other.BaseUrl}/orders?page=2>; rel=\"next\"")) : ApiAnswer.Json(Items(1, 2)));
        HttpApiSourceOptions options = WithCredential(home, "/orders", credential, HttpPagination.LinkHeader);
        await IngestAsync(options);
        linked = true;

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(options));

        Assert.Equal(ErrorCode.HttpSourceOriginRefused, error.Code);
        Assert.Equal(
            $"Source 'crm': GET {home.BaseUrl}/orders links its next page to {other.BaseUrl}, another origin than {home.BaseUrl}; it was not followed, because the source's credentials ('auth' and 'headers') are only sent to {home.BaseUrl}. Nothing of this run was committed.\nHelp: if the API has moved to {other.BaseUrl}, write that address in 'url'.",
            error.Message);
        Assert.Empty(other.Requests);
        Assert.All(home.Requests, r => Assert.True(CarriesSecret(r.Headers)));
        Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        Assert.Equal([1L, 2L], _target.Column<long>("SELECT id FROM bronze ORDER BY id"));
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("api_key")]
    [InlineData("header")]
    public async Task A_redirect_to_another_origin_fails_naming_both_origins_and_is_never_followed(string credential)
    {
        using var other = new ApiServer(_ => ApiAnswer.Json(Items(3, 4)));
        bool moved = false;
        using var home = new ApiServer(r => moved && Query(r, "page", 1) == 2
            ? new ApiAnswer(302, string.Empty, new Dictionary<string, string> { ["Location"] = other.BaseUrl + "/v2/orders?page=2" })
            : ApiAnswer.Json(Query(r, "page", 1) == 1 ? Items(1, 2) : "[]"));
        HttpApiSourceOptions options = WithCredential(home, "/orders", credential, HttpPagination.PageNumber);
        await IngestAsync(options);
        moved = true;

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(options));

        Assert.Equal(ErrorCode.HttpSourceOriginRefused, error.Code);
        Assert.Equal(
            $"Source 'crm': GET {home.BaseUrl}/orders?page=2 redirects to {other.BaseUrl}, another origin than {home.BaseUrl}; it was not followed, because the source's credentials ('auth' and 'headers') are only sent to {home.BaseUrl}. Nothing of this run was committed.\nHelp: if the API has moved to {other.BaseUrl}, write that address in 'url'.",
            error.Message);
        Assert.Empty(other.Requests);
        Assert.Equal(0L, (await _bronze.SnapshotAsync()).Version);
        Assert.Equal([1L, 2L], _target.Column<long>("SELECT id FROM bronze ORDER BY id"));
    }

    [Fact]
    public async Task A_redirect_within_the_origin_is_followed_with_the_credentials()
    {
        using var server = new ApiServer(r => r.Url!.AbsolutePath == "/orders"
            ? new ApiAnswer(301, string.Empty, new Dictionary<string, string> { ["Location"] = "/v2/orders" })
            : ApiAnswer.Json(Items(1, 2)));

        IngestionResult result = await IngestAsync(WithCredential(server, "/orders", "bearer"));

        Assert.Equal(2L, result.Rows);
        Assert.Equal(["/orders", "/v2/orders"], server.Requests.Select(r => r.PathAndQuery));
        Assert.All(server.Requests, r => Assert.Equal("Bearer s3cr3t", r.Headers["Authorization"]));
        Assert.Equal([server.BaseUrl + "/orders"], _target.Column<string>("SELECT DISTINCT _request_url FROM bronze"));
    }

    [Fact]
    public async Task A_source_without_credentials_follows_a_redirect_to_another_origin()
    {
        using var other = new ApiServer(_ => ApiAnswer.Json(Items(1, 1)));
        using var home = new ApiServer(_ => new ApiAnswer(307, string.Empty, new Dictionary<string, string> { ["Location"] = other.BaseUrl + "/orders" }));

        IngestionResult result = await IngestAsync(Options(home, "/orders"));

        Assert.Equal(1L, result.Rows);
        Assert.Equal(["/orders"], other.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Redirects_that_go_round_in_circles_fail_after_the_limit()
    {
        using var server = new ApiServer(_ => new ApiAnswer(302, string.Empty, new Dictionary<string, string> { ["Location"] = "/orders" }));

        var error = await Assert.ThrowsAsync<MedallionException>(() => IngestAsync(WithCredential(server, "/orders", "bearer")));

        Assert.Equal(ErrorCode.HttpSourceRequestFailed, error.Code);
        Assert.Equal(
            $"Source 'crm': GET {server.BaseUrl}/orders was redirected more than 10 times (the last time to {server.BaseUrl}/orders).\nHelp: the API's redirects go round in circles; point 'url' at where the data is. Nothing of this run was committed.",
            error.Message);
        Assert.Equal(11, server.Requests.Count);
        Assert.False(Directory.Exists(_bronze.Path));
    }
}
