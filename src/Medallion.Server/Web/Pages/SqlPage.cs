using System;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary><c>/sql</c>: a read-only query over the lakehouse, its rows (up to a limit) and time, or the same as CSV.</summary>
internal static class SqlPage
{
    private const int DefaultLimit = 1000;
    private const int MaxLimit = 100_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sql", (HttpContext http, string? q) => Render(new PageContext(http), q ?? string.Empty, DefaultLimit, Markup.Empty));
        app.MapPost("/sql", RunAsync);
    }

    private static async Task<IResult> RunAsync(HttpContext http, WebSql engine, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        IFormCollection form = await http.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        string sql = form["sql"].ToString();
        int limit = int.TryParse(form["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out int given) ? Math.Clamp(given, 1, MaxLimit) : DefaultLimit;
        bool csv = form["format"] == "csv";
        if (string.IsNullOrWhiteSpace(sql))
        {
            return Render(page, sql, limit, Markup.Empty);
        }

        try
        {
            (ResultTable result, TimeSpan elapsed) = await engine.QueryAsync(page.Server, page.UserName, Http.AuditSource.Client(http), sql, limit, cancellationToken).ConfigureAwait(false);
            if (csv)
            {
                http.Response.Headers.ContentDisposition = "attachment; filename=\"query.csv\"";
                return Results.Text(result.ToCsv(), "text/csv; charset=utf-8", Encoding.UTF8);
            }

            Markup summary = HtmlBuilder.Of($"""
                <p class="summary" id="query-summary">{page.Number(result.Rows.Count)} {page.T("rows in")} <span id="query-time">{page.Duration(elapsed)}</span>{(result.Truncated ? HtmlBuilder.Of($" ({page.T("showing the first")} {page.Number(limit)})") : Markup.Empty)}</p>
                """);
            return Render(page, sql, limit, new Markup(summary.Value + result.ToHtml(page).Value));
        }
        catch (Exception exception) when (exception is MedallionException or TimeoutException)
        {
            string message = exception is MedallionException medallion ? $"{ErrorCodes.Format(medallion.Code)}: {medallion.Message}" : exception.Message;
            return Render(page, sql, limit, HtmlBuilder.Of($"<div class=\"error\" role=\"alert\"><strong>{page.T("Query failed")}</strong><pre>{message}</pre></div>"), StatusCodes.Status400BadRequest);
        }
    }

    private static IResult Render(PageContext page, string sql, int limit, Markup result, int status = StatusCodes.Status200OK) =>
        page.Render(page.T("SQL"), "SQL", HtmlBuilder.Of($"""
            <p class="muted">{page.T("Read-only: the same engine and rules as the SQL endpoint.")}</p>
            <form method="post" action="/sql" class="sql">
            <input type="hidden" name="{WebUi.AntiforgeryField}" value="{page.Token}">
            <label for="sql" class="visually-hidden">SQL</label>
            <textarea id="sql" name="sql" rows="8" spellcheck="false" data-submit-on-ctrl-enter>{sql}</textarea>
            <div class="row">
            <label for="limit">{page.T("Row limit")}</label> <input id="limit" name="limit" type="number" min="1" max="{MaxLimit}" value="{limit}">
            <button type="submit" name="format" value="html">{page.T("Run query")}</button>
            <button type="submit" name="format" value="csv" class="secondary">{page.T("Download CSV")}</button>
            </div>
            </form>
            {result}
            """), status);
}
