using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Ingestion.Http;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads an HTTP API source of a sources file (an entry with <c>url:</c>):
/// <code>
/// - name: crm_orders
///   url: https://api.example.com/v1/orders
///   target: bronze.crm_orders          # default bronze.&lt;name&gt;
///   records: data.items                # where the records are in a response (default: the body is the array)
///   auth: {type: bearer, token: ${CRM_TOKEN}}   # bearer | basic (user, password) | api_key (header, key)
///   headers: {Accept: application/json}
///   pagination: {type: page, param: page, size_param: per_page, size: 100}
///                                      # page | offset (param, size_param, size) | cursor (path, param) | link
///   incremental: {field: updated_at, param: updated_since, start: '2024-01-01'}
///   nested: json                       # json | flatten
///   max_attempts: 5
///   timeout_seconds: 30
/// </code>
/// <c>${NAME}</c> in <c>url</c>, <c>headers</c> and <c>auth</c> is left as written here and resolved when the source
/// runs, so a missing secret fails that source's run (naming it), not the loading of the whole project.
/// </summary>
internal static class ApiSourceReader
{
    private static readonly string[] s_keys = ["name", "description", "url", "target", "records", "auth", "headers", "pagination", "incremental", "nested", "max_attempts", "timeout_seconds", "max_pages"];
    private static readonly string[] s_authKeys = ["type", "token", "user", "password", "header", "key"];
    private static readonly string[] s_paginationKeys = ["type", "param", "size_param", "size", "first_page", "path"];
    private static readonly string[] s_incrementalKeys = ["field", "param", "start"];

    public static bool IsApiSource(YamlNode item) =>
        item is YamlMappingNode map && map.Children.Keys.Any(k => k is YamlScalarNode { Value: "url" });

    public static ApiSourceDefinition Read(YamlFile file, YamlNode item)
    {
        YamlMap source = file.Map(item, "an HTTP API source", s_keys);
        string url = source.RawString("url") is { Length: > 0 } u ? u : throw file.Error(source.Value("url")!, "'url' is empty. Expected e.g. 'url: https://api.example.com/v1/orders'.");
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("${", StringComparison.Ordinal))
        {
            throw file.Error(source.Value("url")!, $"'url' must start with http:// or https://, but found '{url}'.");
        }

        (string name, TableName target) = SourceTarget.Read(file, source, item, "this HTTP API source", "crm_orders");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (source.Map("headers", "'headers'", []) is { } headerMap)
        {
            foreach ((string key, _, _) in headerMap.Entries)
            {
                headers[key] = headerMap.RawString(key) ?? string.Empty;
            }
        }

        var options = new HttpApiSourceOptions
        {
            SourceName = name,
            Url = url,
            Headers = headers,
            RecordsPath = source.String("records") ?? string.Empty,
            Nested = source.Choice("nested", ["json", "flatten"]) == "flatten" ? NestedJson.Flatten : NestedJson.Json,
            MaxAttempts = (int)(Range(source, "max_attempts", 1, 100) ?? 5),
            RequestTimeout = TimeSpan.FromSeconds(Range(source, "timeout_seconds", 1, 3600) ?? 30),
            MaxPages = (int)(Range(source, "max_pages", 1, 10_000_000) ?? 100_000),
        };
        options = ReadAuth(file, source, name, options);
        options = ReadPagination(file, source, options);
        if (source.Map("incremental", "'incremental'", s_incrementalKeys) is { } incremental)
        {
            options = options with
            {
                IncrementalField = incremental.RequiredString("field", "'incremental'", "updated_at"),
                IncrementalParameter = incremental.String("param"),
                IncrementalStart = incremental.String("start"),
            };
        }

        return new ApiSourceDefinition(name, target, options, source.String("description"), file.Location(item));
    }

    private static HttpApiSourceOptions ReadAuth(YamlFile file, YamlMap source, string name, HttpApiSourceOptions options)
    {
        if (source.Map("auth", "'auth'", s_authKeys) is not { } auth)
        {
            return options;
        }

        string type = auth.Choice("type", ["bearer", "basic", "api_key"]) ?? throw file.Error(auth.Node, "'auth' has no 'type'. Expected 'type: bearer', 'type: basic' or 'type: api_key'.");
        string Secret(string key, string example) => AuthSecret(auth, type, name, key, example);
        return type switch
        {
            "bearer" => options with { Auth = HttpAuthKind.Bearer, Token = Secret("token", "${API_TOKEN}") },
            "basic" => options with { Auth = HttpAuthKind.Basic, User = Secret("user", "${API_USER}"), Password = auth.RawString("password") ?? string.Empty },
            _ => options with { Auth = HttpAuthKind.ApiKey, Token = Secret("key", "${API_KEY}"), ApiKeyHeader = auth.String("header") ?? "X-API-Key" },
        };
    }

    /// <summary>A secret of an <c>auth</c> map, as written (its <c>${NAME}</c> references are resolved when the source runs).</summary>
    internal static string AuthSecret(YamlMap auth, string type, string name, string key, string example) =>
        auth.RawString(key) is { Length: > 0 } value
            ? value
            : throw auth.File.Error(auth.Node, $"'auth' of type {type} (source '{name}') needs '{key}'. Expected e.g. '{key}: {example}'.");

    private static HttpApiSourceOptions ReadPagination(YamlFile file, YamlMap source, HttpApiSourceOptions options)
    {
        if (source.Map("pagination", "'pagination'", s_paginationKeys) is not { } paging)
        {
            return options;
        }

        string type = paging.Choice("type", ["page", "offset", "cursor", "link"]) ?? throw file.Error(paging.Node, "'pagination' has no 'type'. Expected 'type: page', 'offset', 'cursor' or 'link'.");
        int? size = (int?)Range(paging, "size", 1, 1_000_000);
        switch (type)
        {
            case "page":
                return options with
                {
                    Pagination = HttpPagination.PageNumber,
                    PageParameter = paging.String("param") ?? "page",
                    PageSizeParameter = paging.String("size_param"),
                    PageSize = size,
                    FirstPage = (int)(Range(paging, "first_page", 0, int.MaxValue) ?? 1),
                };
            case "offset":
                return options with
                {
                    Pagination = HttpPagination.Offset,
                    OffsetParameter = paging.String("param") ?? "offset",
                    PageSizeParameter = paging.String("size_param") ?? "limit",
                    PageSize = size ?? throw file.Error(paging.Node, "offset pagination needs the page size. Expected e.g. 'size: 100' (sent in 'size_param', default limit)."),
                };
            case "cursor":
                return options with
                {
                    Pagination = HttpPagination.Cursor,
                    CursorPath = paging.RequiredString("path", "cursor pagination", "meta.next_cursor"),
                    CursorParameter = paging.String("param") ?? "cursor",
                };
            default:
                return options with { Pagination = HttpPagination.LinkHeader };
        }
    }

    private static long? Range(YamlMap map, string key, long min, long max) => map.Long(key) switch
    {
        null => null,
        long value when value >= min && value <= max => value,
        long value => throw map.File.Error(map.Value(key)!, $"'{key}' must be between {min} and {max}, but found {value}."),
    };
}
