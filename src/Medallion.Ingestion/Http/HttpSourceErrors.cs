using System;
using System.Net;

namespace Medallion.Ingestion.Http;

/// <summary>The user-facing errors of HTTP API sources; URLs in them are already redacted.</summary>
internal static class HttpSourceErrors
{
    public static MedallionException GaveUp(string source, string url, int attempts, string what, Exception? inner) =>
        new(ErrorCode.HttpSourceRequestFailed,
            $"Source '{source}': GET {url} failed after {attempts} attempt{(attempts == 1 ? "" : "s")}: {what}.\nHelp: the API is down, overloaded or too slow; nothing of this run was committed, so run again later (or raise max_attempts / timeout_seconds).",
            inner);

    public static MedallionException Status(string source, string url, HttpStatusCode status, string? reason, string body) =>
        new(ErrorCode.HttpSourceRequestFailed,
            $"Source '{source}': GET {url} answered {(int)status} {reason}{Snippet(body)}.\nHelp: check the URL and its parameters in the source settings; nothing of this run was committed.",
            isTransient: false); // A status the API does not answer to a busy moment (a 404, a 400) comes back the same on a retry.

    public static MedallionException AuthRejected(string source, string url, HttpStatusCode status, string? reason, string auth) =>
        new(ErrorCode.HttpSourceAuthenticationFailed,
            $"Source '{source}': GET {url} answered {(int)status} {reason}: the API rejected the credentials ({auth}).\nHelp: check the credentials the source's 'auth' settings point at, and that they grant access to this endpoint.");

    public static MedallionException InvalidJson(string source, string url, string problem, Exception? inner = null) =>
        new(ErrorCode.HttpSourceResponseInvalid,
            $"Source '{source}': the response of GET {url} is not what the source expects: {problem}.\nHelp: check 'records' (the path to the records) and the pagination settings against a response of the API; nothing of this run was committed.",
            inner);

    public static MedallionException OriginRefused(string source, string url, string how, string from, string to, string why, string help) =>
        new(ErrorCode.HttpSourceOriginRefused,
            $"Source '{source}': GET {url} {how} {to}, another origin than {from}; it was not followed, because {why}. Nothing of this run was committed.\nHelp: {help}");

    public static MedallionException TooManyRedirects(string source, string url, int redirects, string last) =>
        new(ErrorCode.HttpSourceRequestFailed,
            $"Source '{source}': GET {url} was redirected more than {redirects} times (the last time to {last}).\nHelp: the API's redirects go round in circles; point 'url' at where the data is. Nothing of this run was committed.",
            isTransient: false); // Redirects that go round in circles do so on every attempt.

    private static string Snippet(string body)
    {
        string trimmed = body.Trim();
        return trimmed.Length == 0 ? string.Empty : ": " + (trimmed.Length > 200 ? trimmed[..200] + "..." : trimmed);
    }
}
