using System;
using System.Globalization;
using System.Linq;
using System.Security.Claims;
using Medallion.Catalog;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Web;

/// <summary>One page being rendered: who asks, in which language and culture, and the layout around its body.</summary>
internal sealed class PageContext
{
    private string? _token;

    public PageContext(HttpContext http)
    {
        Http = http;
        Server = http.RequestServices.GetRequiredService<ServerContext>();
        Language = WebText.LanguageOf(http.Request);
        Culture = WebText.CultureOf(Language);
        UserName = http.User.Identity?.IsAuthenticated == true ? http.User.Identity.Name : null;
        IsOperator = http.User.HasClaim(ApiAuthenticationHandler.RoleClaim, "operator");
        IsAdmin = WebUi.IsAdmin(http.User);
    }

    public HttpContext Http { get; }

    public ServerContext Server { get; }

    /// <summary><see cref="WebText.English"/> or <see cref="WebText.Portuguese"/>.</summary>
    public string Language { get; }

    /// <summary>How numbers and dates are written (en-US or pt-BR).</summary>
    public CultureInfo Culture { get; }

    public string? UserName { get; }

    /// <summary>Whether the user may act (trigger, pause, cancel): only then are action buttons shown.</summary>
    public bool IsOperator { get; }

    /// <summary>Whether the user manages users, roles, grants and tokens: only then is the admin page in the navigation.</summary>
    public bool IsAdmin { get; }

    /// <summary>The anti-forgery token of this session, for forms and the scripts' API calls.</summary>
    public string Token => _token ??= Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http).RequestToken!;

    public string T(string english) => WebText.Translate(english, Language);

    public string T(string english, params object[] values) => string.Format(Culture, T(english), values);

    public string Number(long? value) => value?.ToString("N0", Culture) ?? "–";

    /// <summary>
    /// A time as a <c>&lt;time&gt;</c> element: UTC text in the culture's format, rewritten by the script into the viewer's
    /// time zone; or, with <paramref name="zone"/> (a job's own time zone, in which its schedule is written), in that zone
    /// with its name, by the server and the script alike.
    /// </summary>
    public Markup Time(DateTimeOffset? at, TimeZoneInfo? zone = null)
    {
        if (at is not { } value)
        {
            return new Markup("–");
        }

        string utc = value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return zone is null
            ? HtmlBuilder.Of($"<time datetime=\"{utc}\">{value.UtcDateTime.ToString("g", Culture)} UTC</time>")
            : HtmlBuilder.Of($"<time datetime=\"{utc}\" data-zone=\"{zone.Id}\">{TimeZoneInfo.ConvertTime(value, zone).DateTime.ToString("g", Culture)} ({zone.Id})</time>");
    }

    /// <summary>A message the platform composed (a run's error, a step's reason) in the page's language; see <see cref="WebText.TranslateMessage"/>.</summary>
    public string Message(string? english) => WebText.TranslateMessage(english, Language);

    /// <summary>
    /// The time zone a job's cron schedule is written in, for its times; null for a job without one (a fixed period runs
    /// in no zone) or no job: their times are shown in the viewer's zone.
    /// </summary>
    public TimeZoneInfo? ZoneOf(string? job) =>
        job is not null && Server.Project.Jobs.FirstOrDefault(j => j.Name == job)?.Schedule is { Every: null } schedule ? schedule.TimeZone : null;

    public string Duration(TimeSpan? duration) => duration switch
    {
        null => "–",
        { TotalSeconds: < 1 } d => d.TotalMilliseconds.ToString("N0", Culture) + " ms",
        { TotalMinutes: < 1 } d => d.TotalSeconds.ToString("N1", Culture) + " s",
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes} min {d.Seconds} s",
        TimeSpan d => $"{(int)d.TotalHours} h {d.Minutes} min",
    };

    /// <summary>A run or model state as a coloured badge.</summary>
    public Markup State(RunStatus status)
    {
        string name = StateName(status);
        return HtmlBuilder.Of($"<span class=\"state state-{name}\">{T(name)}</span>");
    }

    public static string StateName(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Skipped => "skipped",
        RunStatus.Cancelled => "cancelled",
        RunStatus.Interrupted => "interrupted",
        _ => "queued",
    };

    /// <summary>
    /// An action button for operators (nothing for viewers): the script posts to <paramref name="api"/> with the
    /// anti-forgery token; with <paramref name="variables"/>, the body carries the <c>name=value</c> lines of that textarea;
    /// with <paramref name="body"/>, it sends that JSON with <paramref name="method"/> instead. Then <paramref name="then"/>:
    /// <c>reload</c> the page (the default), open the <c>run</c> the answer names, or ask for the <c>live</c> part of a run's
    /// page again.
    /// </summary>
    public Markup Action(string api, string label, string? then = null, bool danger = false, string? variables = null, string method = "POST", string? body = null) => !IsOperator
        ? Markup.Empty
        : ApiButton(api, label, method, body, null, null, then, danger, variables);

    /// <summary>
    /// A button of the admin page, whose caller already let only an admin in: the script sends <paramref name="method"/>
    /// to <paramref name="api"/> with the anti-forgery token and <paramref name="body"/> (JSON), after asking
    /// <paramref name="confirm"/> when given, then reloads the page; <paramref name="label"/> names what it acts on for
    /// screen readers.
    /// </summary>
    public Markup AdminButton(string api, string text, string method, string? body = null, string? confirm = null, string? label = null) =>
        ApiButton(api, text, method, body, confirm, label, null, danger: method == "DELETE", null);

    private Markup ApiButton(string api, string text, string method, string? body, string? confirm, string? label, string? then, bool danger, string? variables)
    {
        var html = new HtmlBuilder();
        html.Add($"<button type=\"button\" class=\"action{(danger ? " danger" : string.Empty)}\" data-action=\"{api}\" data-then=\"{then ?? "reload"}\"");
        foreach ((string name, string? value) in (ReadOnlySpan<(string, string?)>)[("data-method", method == "POST" ? null : method), ("data-body", body), ("data-confirm", confirm), ("aria-label", label), ("data-variables", variables)])
        {
            if (value is not null)
            {
                html.Add($" {name}=\"{value}\"");
            }
        }

        html.Add($">{T(text)}</button>");
        return html.ToMarkup();
    }

    public static string TableUrl(TableName table) => "/tables/" + Uri.EscapeDataString(table.ToString());

    public static string RunUrl(string id) => "/runs/" + Uri.EscapeDataString(id);

    /// <summary>The whole page: header with navigation, user, language switch and sign-out; the body; the script.</summary>
    public IResult Render(string title, string active, Markup body, int status = StatusCodes.Status200OK)
    {
        var html = new HtmlBuilder();
        html.Add($"""
            <!DOCTYPE html>
            <html lang="{Language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="{(UserName is null ? string.Empty : Token)}">
            <title>{title} · Medallion</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="{WebAssets.Url("app.css")}">
            <script src="{WebAssets.Url("app.js")}" defer></script>
            </head>
            <body>
            <header class="top">
            <a class="brand" href="/">Medallion</a>
            """);
        if (UserName is not null)
        {
            html.Add($"<nav aria-label=\"{T("main")}\">");
            (string Href, string Label)[] links = [("/", "Home"), ("/jobs", "Jobs"), ("/runs", "Runs"), ("/catalog", "Catalog"), ("/sources", "Sources"), ("/lineage", "Lineage"), ("/sql", "SQL")];
            foreach ((string href, string label) in IsAdmin ? [.. links, ("/admin", "Admin")] : links)
            {
                html.Add($"<a href=\"{href}\"{(label == active ? new Markup(" aria-current=\"page\"") : Markup.Empty)}>{T(label)}</a>");
            }

            html.Add(new Markup("</nav>"));
        }

        html.Add($"""
            <div class="session">
            <form method="post" action="/language" class="inline">
            <input type="hidden" name="{WebUi.AntiforgeryField}" value="{Token}">
            <input type="hidden" name="return" value="{Http.Request.Path}{Http.Request.QueryString}">
            <label class="visually-hidden" for="lang">{T("Language")}</label>
            <select id="lang" name="lang" data-autosubmit>
            <option value="en"{(Language == WebText.English ? new Markup(" selected") : Markup.Empty)}>English</option>
            <option value="pt-BR"{(Language == WebText.Portuguese ? new Markup(" selected") : Markup.Empty)}>Português (Brasil)</option>
            </select>
            <noscript><button type="submit">OK</button></noscript>
            </form>
            """);
        if (UserName is not null)
        {
            html.Add($"""
                <span class="who">{T("signed in as")} <strong>{UserName}</strong> ({T(IsOperator ? "operator" : "viewer")})</span>
                <form method="post" action="/logout" class="inline">
                <input type="hidden" name="{WebUi.AntiforgeryField}" value="{Token}">
                <button type="submit" class="link">{T("Sign out")}</button>
                </form>
                """);
        }

        html.Add($"""
            </div>
            </header>
            <main id="main">
            {StandbyBanner()}
            <h1>{title}</h1>
            {body}
            </main>
            </body>
            </html>
            """);
        Http.Response.Headers.CacheControl = "no-store";
        return Results.Content(html.ToString(), "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>On standby, a line on every page that says another server runs the jobs; nothing otherwise.</summary>
    private Markup StandbyBanner() => Server.Scheduler.StandbyBehind is { } behind
        ? HtmlBuilder.Of($"<p class=\"banner\" role=\"status\">{T("Scheduler on standby: the server of {0} runs the jobs; this one takes over when its lease lapses.", behind.Holder.ToString())}</p>")
        : Markup.Empty;

    /// <summary>A page that says what was not found (an unknown table or run), with the library's message.</summary>
    public IResult NotFound(string message) =>
        Render(T("Not found"), string.Empty, HtmlBuilder.Of($"<p class=\"error\">{message}</p>"), StatusCodes.Status404NotFound);
}
