using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Medallion.Ingestion.Http;

public sealed partial class HttpApiSource
{
    /// <summary>
    /// The retry pipeline of one request: 429, 5xx, timeouts and connection failures are tried again with exponential
    /// backoff, or after the server's <c>Retry-After</c> (seconds or an HTTP date) when it sends one.
    /// </summary>
    private ResiliencePipeline<HttpResponseMessage> BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutRejectedException } => true,
                    { Result: { } response } => IsRetryable(response.StatusCode),
                    _ => false,
                }),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                Delay = _options.RetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    string what = args.Outcome.Result is { } response ? $"{(int)response.StatusCode} {response.ReasonPhrase}" : args.Outcome.Exception?.Message ?? "failed";
                    LogMessages.HttpRetry(_logger, _options.SourceName, _currentUrl, what, args.AttemptNumber + 2, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        return builder.AddTimeout(_options.RequestTimeout).Build();
    }

    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        RetryConditionHeaderValue? header = response?.Headers.RetryAfter;
        TimeSpan? delay = header?.Delta ?? (header?.Date is DateTimeOffset date ? date - DateTimeOffset.UtcNow : null);
        if (delay is not TimeSpan wait)
        {
            return null;
        }

        // A date in the past means "now"; a demand beyond the cap waits the cap, then tries again.
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > _options.MaxRetryDelay ? _options.MaxRetryDelay : wait;
    }

    private static bool IsRetryable(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>How many redirects one GET follows (HttpClient's own limit is 50; an API needs one or two).</summary>
    internal const int MaxRedirects = 10;

    /// <summary>
    /// One GET with retries, following redirects within what <see cref="Follow"/> allows; the parsed body and the
    /// response's next link (resolved against the URL that answered).
    /// </summary>
    private async Task<(JsonDocument Body, Uri? Next)> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        string firstUrl = _secrets!.Redact(url.ToString());
        (HttpResponseMessage response, int attempts) = await SendAsync(url, cancellationToken).ConfigureAwait(false);
        for (int redirects = 0; IsRedirect(response.StatusCode) && response.Headers.Location is { } location; redirects++)
        {
            response.Dispose();
            Uri target = new(url, location);
            if (redirects == MaxRedirects)
            {
                throw HttpSourceErrors.TooManyRedirects(_options.SourceName, firstUrl, MaxRedirects, _secrets.Redact(target.ToString()));
            }

            url = Follow(url, target, "redirects to");
            (response, attempts) = await SendAsync(url, cancellationToken).ConfigureAwait(false);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw HttpSourceErrors.AuthRejected(_options.SourceName, _currentUrl, response.StatusCode, response.ReasonPhrase, DescribeAuth());
            }

            if (IsRetryable(response.StatusCode))
            {
                throw HttpSourceErrors.GaveUp(_options.SourceName, _currentUrl, attempts, $"the last answer was {(int)response.StatusCode} {response.ReasonPhrase}", null);
            }

            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw HttpSourceErrors.Status(_options.SourceName, _currentUrl, response.StatusCode, response.ReasonPhrase, _secrets.Redact(Encoding.UTF8.GetString(body)));
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                string first = JsonRecordWriter.JsonProblem(e);
                throw HttpSourceErrors.InvalidJson(_options.SourceName, _currentUrl,
                    $"the body is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} ({first})", e);
            }

            return (document, NextLink(response, url));
        }
    }

    /// <summary>One request with retries and the source's credentials; the answer (a redirect is returned, not followed) and the attempts it took.</summary>
    private async Task<(HttpResponseMessage Response, int Attempts)> SendAsync(Uri url, CancellationToken cancellationToken)
    {
        _currentUrl = _secrets!.Redact(url.ToString());
        int attempts = 0;
        try
        {
            HttpResponseMessage response = await _pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    using var request = new HttpRequestMessage(HttpMethod.Get, url);
                    foreach ((string name, string value) in _headers!)
                    {
                        request.Headers.TryAddWithoutValidation(name, value);
                    }

                    return await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
            return (response, attempts);
        }
        catch (TimeoutRejectedException e)
        {
            throw HttpSourceErrors.GaveUp(_options.SourceName, _currentUrl, attempts, $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        catch (HttpRequestException e)
        {
            throw HttpSourceErrors.GaveUp(_options.SourceName, _currentUrl, attempts, _secrets.Redact(e.Message), e);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently
        or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// <paramref name="to"/>, when a request that answered at <paramref name="from"/> may go there: within its origin
    /// (scheme, host, port), or to another one when the source sends no credentials, but never from https to http.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.HttpSourceOriginRefused"/>, naming both origins (and no secret).</exception>
    private Uri Follow(Uri from, Uri to, string how)
    {
        if (Uri.Compare(from, to, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0)
        {
            return to;
        }

        string fromOrigin = Origin(from), toOrigin = Origin(to);
        if (from.Scheme == Uri.UriSchemeHttps && to.Scheme == Uri.UriSchemeHttp)
        {
            throw HttpSourceErrors.OriginRefused(_options.SourceName, _secrets!.Redact(from.ToString()), how, fromOrigin, toOrigin,
                "that would leave https for plain http", "if the API is really served over plain http, write its http:// address in 'url'.");
        }

        // Every configured header counts: an API key is as often written under 'headers' as under 'auth'.
        if (_headers!.Count > 0)
        {
            throw HttpSourceErrors.OriginRefused(_options.SourceName, _secrets!.Redact(from.ToString()), how, fromOrigin, toOrigin,
                $"the source's credentials ('auth' and 'headers') are only sent to {fromOrigin}", $"if the API has moved to {toOrigin}, write that address in 'url'.");
        }

        return to;
    }

    /// <summary>The origin as shown: scheme, host and port (when not the scheme's default), never a user name or password.</summary>
    private string Origin(Uri url) => _secrets!.Redact(url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped));

    /// <summary>The target of the RFC 8288 <c>Link</c> header's <c>rel="next"</c>, resolved against the request URL.</summary>
    internal static Uri? NextLink(HttpResponseMessage response, Uri requestUrl)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (string value in values)
        {
            int index = 0;
            while ((index = value.IndexOf('<', index)) >= 0)
            {
                int close = value.IndexOf('>', index);
                if (close < 0)
                {
                    break;
                }

                string target = value[(index + 1)..close];
                int nextLink = value.IndexOf('<', close);
                string parameters = nextLink < 0 ? value[(close + 1)..] : value[(close + 1)..nextLink];
                foreach (string parameter in parameters.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] pair = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
                    if (pair.Length == 2 && pair[0].Equals("rel", StringComparison.OrdinalIgnoreCase)
                        && Array.Exists(pair[1].TrimEnd(',', ' ').Trim('"').Split(' '), r => r.Equals("next", StringComparison.OrdinalIgnoreCase)))
                    {
                        return new Uri(requestUrl, target);
                    }
                }

                index = close;
            }
        }

        return null;
    }

    private string DescribeAuth() => _options.Auth switch
    {
        HttpAuthKind.Bearer => $"bearer token {Reference(_options.Token)}",
        HttpAuthKind.Basic => $"basic auth as user '{_secrets!.Redact(_options.User ?? string.Empty)}', password {Reference(_options.Password)}",
        HttpAuthKind.ApiKey => $"API key {Reference(_options.Token)} in header {_options.ApiKeyHeader}",
        _ => "no credentials were sent",
    };

    /// <summary>A secret setting as it may be shown: its <c>${NAME}</c> reference, never a value written inline.</summary>
    private static string Reference(string? setting) =>
        setting is not null && setting.StartsWith("${", StringComparison.Ordinal) && setting.EndsWith('}') && setting.IndexOf('}') == setting.Length - 1
            ? "from " + setting
            : "written in the source settings";
}
