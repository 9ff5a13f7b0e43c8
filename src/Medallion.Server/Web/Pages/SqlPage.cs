using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/sql</c>: a read-only query over the lakehouse, its rows (up to a limit) and time, or the same as CSV; beside the
/// editor, the tables the user may read (their columns on demand from <c>/sql/columns</c>), which the script also
/// completes names from, the saved queries the user may open, and their history.
/// </summary>
/// <remarks>
/// Saved queries are kept on the server (the script lists, saves and deletes them through <c>/api/saved-queries</c>), so
/// they follow the user to any browser and can be shared. History lives in the browser's localStorage, under the user's
/// name: a convenience of one browser, written on every run without a round trip, while the audit keeps the server's
/// record of every statement. A failed query is a page that rendered as asked (200) with the error in it, not an error answer.
/// </remarks>
internal static class SqlPage
{
    private const int DefaultLimit = 1000;
    private const int MaxLimit = 100_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sql", (HttpContext http, string? q, string? environment, CancellationToken cancellationToken) =>
            RenderAsync(new PageContext(http), q ?? string.Empty, DefaultLimit, null, cancellationToken, environment));
        app.MapPost("/sql", RunAsync);
        app.MapGet("/sql/columns", ColumnsAsync);
    }

    /// <summary>One column as the schema browser and the completions show it.</summary>
    /// <param name="Name">The column's name.</param>
    /// <param name="Type">Its DuckDB type.</param>
    /// <param name="Masked">Whether the user reads it masked.</param>
    internal sealed record SchemaColumn(string Name, string Type, bool Masked);

    private static async Task<IResult> RunAsync(HttpContext http, WebSql engine, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        IFormCollection form = await http.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        string sql = form["sql"].ToString();
        int limit = int.TryParse(form["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out int given) ? Math.Clamp(given, 1, MaxLimit) : DefaultLimit;
        bool csv = form["format"] == "csv";
        string? environment = form["environment"].ToString() is { Length: > 0 } chosen ? chosen : null;
        if (string.IsNullOrWhiteSpace(sql))
        {
            return await RenderAsync(page, sql, limit, null, cancellationToken, environment).ConfigureAwait(false);
        }

        try
        {
            (ResultTable result, TimeSpan elapsed) = await engine.QueryAsync(page.Server, page.UserName, AuditSource.Client(http), sql, limit, environment, cancellationToken).ConfigureAwait(false);
            if (csv)
            {
                http.Response.Headers.ContentDisposition = "attachment; filename=\"query.csv\"";
                return Results.Text(result.ToCsv(), "text/csv; charset=utf-8", Encoding.UTF8);
            }

            Markup summary = HtmlBuilder.Of($"""
                <p class="summary" id="query-summary">{page.Number(result.Rows.Count)} {page.T("rows in")} <span id="query-time">{page.Duration(elapsed)}</span>{(result.Truncated ? HtmlBuilder.Of($" ({page.T("showing the first")} {page.Number(limit)})") : Markup.Empty)}</p>
                """);
            return await RenderAsync(page, sql, limit, new Markup(summary.Value + Chart(page, result).Value + result.ToHtml(page).Value), cancellationToken, environment).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is MedallionException or TimeoutException)
        {
            string message = exception is MedallionException medallion ? $"{ErrorCodes.Format(medallion.Code)}: {medallion.Message}" : exception.Message;
            return await RenderAsync(page, sql, limit, HtmlBuilder.Of($"<div class=\"error\" id=\"query-error\" role=\"alert\"><strong>{page.T("Query failed")}</strong><pre>{message}</pre></div>"), cancellationToken, environment).ConfigureAwait(false);
        }
    }

    /// <summary>The columns of one table the user may read, as JSON; 404 for a table that is not there or not theirs to read, as the table page answers.</summary>
    private static async Task<IResult> ColumnsAsync(HttpContext http, string? table, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        if (!TableName.TryParse(table, out TableName name))
        {
            return Results.BadRequest();
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // The browser asks for the names it was given, exactly; the readable tables are the only ones there are.
            if (lakehouse.TableNames.FirstOrDefault(t => t.Equals(name)) is not { Namespace: not null } known)
            {
                return Results.NotFound();
            }

            name = known;
            IReadOnlyDictionary<string, Engine.Sessions.ColumnMask> masks = lakehouse.Reader.Find(name)?.Masks ?? Engine.Sessions.TableAccess.Everything.Masks;
            IReadOnlyList<ColumnInfo> columns = await lakehouse.GetColumnsAsync(name, cancellationToken).ConfigureAwait(false);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(columns.Select(c => new SchemaColumn(c.Name, c.DataType, masks.ContainsKey(c.Name))).ToList(), ApiJson.Options);
        }
    }

    private static async Task<IResult> RenderAsync(PageContext page, string sql, int limit, Markup? result, CancellationToken cancellationToken, string? environment = null)
    {
        // One that is none of the catalog's stays offered as asked, so the query's refusal names it.
        Markup environments = await EnvironmentChoice.OptionsAsync(page, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TableName> tables;
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            tables = lakehouse.TableNames;
        }

        return page.Render(page.T("SQL"), "SQL", HtmlBuilder.Of($"""
            <p class="muted">{page.T("Read-only: the same engine and rules as the SQL endpoint.")}</p>
            <div class="sql-workspace">
            <aside class="sql-side" aria-label="{page.T("Tables, saved queries and history")}">
            {SchemaBrowser(page, tables)}
            <details class="side-panel" id="saved-panel" open><summary>{page.T("Saved queries")}</summary>
            <p class="muted small" id="saved-empty" hidden>{page.T("No saved query yet.")}</p>
            <ul class="plain query-list" id="saved-queries"></ul>
            <p class="muted small" id="saved-note">{page.T("Kept on the server: they follow you to any browser, and those you share every signed-in user can open.")}</p>
            </details>
            <details class="side-panel" id="history-panel" open><summary>{page.T("History")}</summary>
            <p class="muted small" id="history-empty">{page.T("Queries you run appear here.")}</p>
            <ol class="plain query-list" id="query-history"></ol>
            <button type="button" class="link-like small" id="history-clear" hidden>{page.T("Clear history")}</button>
            <p class="muted small" id="history-note">{page.T("History is kept in this browser only.")}</p>
            </details>
            </aside>
            <div class="sql-main">
            <form method="post" action="/sql" class="sql" id="sql-form" data-user="{page.UserName ?? string.Empty}" data-opened="{page.T("Opened")}" data-delete="{page.T("Delete")}" data-run-again="{page.T("Run again")}"
             data-by="{page.T("by")}" data-shared="{page.T("shared")}" data-unread="{page.T("The saved queries could not be read:")}" data-not-deleted="{page.T("Not deleted:")}"
             data-not-moved="{page.T("A query saved in this browser could not be moved to the server:")}" data-this-browser="{page.T("this browser")}">
            <input type="hidden" name="{WebUi.AntiforgeryField}" value="{page.Token}">
            <label for="sql" class="visually-hidden">SQL</label>
            <div class="editor">
            <textarea id="sql" name="sql" rows="10" spellcheck="false" autocomplete="off" autocapitalize="off" data-submit-on-ctrl-enter role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="sql-completions" aria-describedby="sql-help">{sql}</textarea>
            <ul id="sql-completions" class="completions" role="listbox" aria-label="{page.T("Completions")}" hidden></ul>
            </div>
            <p class="muted small" id="sql-help">{page.T("Ctrl+Enter runs the query. Ctrl+Space completes table and column names; Tab or Enter accepts, Esc closes.")}</p>
            <div class="row">
            <label for="environment">{page.T("Environment")}</label> <select id="environment" name="environment">{environments}</select>
            <label for="limit">{page.T("Row limit")}</label> <input id="limit" name="limit" type="number" min="1" max="{MaxLimit}" value="{limit}">
            <button type="submit" name="format" value="html">{page.T("Run query")}</button>
            <button type="submit" name="format" value="csv" class="secondary">{page.T("Download CSV")}</button>
            <span class="save-query">
            <label for="save-name" class="visually-hidden">{page.T("Name of the saved query")}</label>
            <input id="save-name" type="text" placeholder="{page.T("Name of the saved query")}" maxlength="{SavedQueryStore.MaxNameLength}">
            <label class="check"><input type="checkbox" id="save-shared"> {page.T("Share with everyone")}</label>
            <button type="button" class="secondary" id="save-query" data-required="{page.T("Give the query a name to save it.")}" data-saved="{page.T("Saved")}" data-not-saved="{page.T("Not saved:")}">{page.T("Save query")}</button>
            </span>
            <span class="muted small" id="save-status" role="status"></span>
            </div>
            </form>
            <div id="query-result">{result ?? Markup.Empty}</div>
            </div>
            </div>
            """));
    }

    /// <summary>
    /// The tables the user may read, by namespace: a table's name inserts it at the cursor, its toggle shows its columns
    /// (loaded on demand: a page of a thousand tables reads no Delta log until asked), whose names insert them too.
    /// </summary>
    private static Markup SchemaBrowser(PageContext page, IReadOnlyList<TableName> tables)
    {
        var html = new HtmlBuilder();
        html.Add($"""
            <details class="side-panel" id="schema-panel" open><summary>{page.T("Tables")}</summary>
            <label for="schema-filter" class="visually-hidden">{page.T("Filter tables")}</label>
            <input id="schema-filter" type="search" placeholder="{page.T("Filter tables")}" autocomplete="off">
            <ul class="schema-tree" id="schema-tree" data-columns="/sql/columns" data-masked="{page.T("masked")}" data-loading="{page.T("loading…")}" data-failed="{page.T("The columns could not be read.")}">
            """);
        if (tables.Count == 0)
        {
            html.Add($"<li class=\"muted small\">{page.T("No table you may read.")}</li>");
        }

        foreach (IGrouping<string, TableName> ns in tables.GroupBy(t => t.Namespace, StringComparer.OrdinalIgnoreCase))
        {
            html.Add($"<li class=\"namespace\" data-namespace=\"{ns.Key}\"><span class=\"layer layer-{ns.Key}\">{ns.Key}</span><ul>");
            foreach (TableName table in ns)
            {
                html.Add($"""
                    <li class="table" data-table="{table.ToString()}"><button type="button" class="toggle" aria-expanded="false" aria-label="{page.T("Show columns of")} {table.ToString()}"></button><button type="button" class="insert" data-insert="{table.ToString()}" title="{page.T("Insert at the cursor")}">{table.Name}</button><ul class="columns" hidden></ul></li>
                    """);
            }

            html.Add(new Markup("</ul></li>"));
        }

        html.Add(new Markup("</ul></details>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// A chart of the rows shown, drawn by the script: bars or a line, X over any column and Y over a numeric one (the
    /// first of each by default); nothing when no column is numeric.
    /// </summary>
    private static Markup Chart(PageContext page, ResultTable result)
    {
        IEnumerable<int> all = Enumerable.Range(0, result.Columns.Count);
        if (!result.Numeric.Contains(true) || result.Rows.Count == 0)
        {
            return Markup.Empty;
        }

        // X: the first column that is not a number (a category or a date), else the first; Y: the first number after it.
        int x = all.Where(i => !result.Numeric[i]).DefaultIfEmpty(0).First();
        int y = all.Where(i => result.Numeric[i] && i != x).DefaultIfEmpty(x).First();
        Markup Options(Func<int, bool> include, int chosen)
        {
            var options = new HtmlBuilder();
            foreach (int i in all.Where(include))
            {
                options.Add($"<option value=\"{i}\"{(i == chosen ? new Markup(" selected") : Markup.Empty)}>{result.Columns[i]}</option>");
            }

            return options.ToMarkup();
        }

        return HtmlBuilder.Of($"""
            <details class="result-chart" id="result-chart"><summary>{page.T("Chart")}</summary>
            <div class="row chart-controls">
            <label for="chart-kind">{page.T("Kind")}</label><select id="chart-kind"><option value="bar">{page.T("Bars")}</option><option value="line">{page.T("Line")}</option></select>
            <label for="chart-x">X</label><select id="chart-x">{Options(_ => true, x)}</select>
            <label for="chart-y">Y</label><select id="chart-y">{Options(i => result.Numeric[i], y)}</select>
            </div>
            <svg id="chart" class="chart result-chart-svg" role="img" aria-label="{page.T("Chart")}"></svg>
            </details>
            """);
    }
}
