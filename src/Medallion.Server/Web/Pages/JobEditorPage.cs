using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/jobs/edit?file=name</c>: an operator edits <c>jobs/name.yml</c> (or, without a file, writes a new one). The text is
/// reviewed before it is saved: the server checks it as a load would (an error names its line, and the editor goes to
/// it) and shows the lines the save would change; the save is refused if the file changed since it was opened.
/// </summary>
internal static class JobEditorPage
{
    /// <summary>What a new jobs file starts with: one job of each common kind of trigger, commented where optional.</summary>
    private const string NewFileText = """
        jobs:
          - name: my_job
            description: Rebuilds the gold tables every night.
            select: +gold.daily_revenue      # models, as --select takes them
            schedule: "0 3 * * *"            # cron; or every: 15m; or on_new_data: [bronze.orders]; or after: [job]
            timezone: UTC
            # sources: [orders]              # sources ingested first
            # retries: {count: 3, backoff: {initial: 30s, max: 10m}}
            # timeout: {model: 10m, run: 1h}
            # paused: true

        """;

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/jobs/edit", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, string? file, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        if (!page.IsOperator)
        {
            return page.Render(page.T("Jobs"), "Jobs", HtmlBuilder.Of($"<p class=\"error\">{page.T("Only operators edit jobs.")}</p>"), StatusCodes.Status403Forbidden);
        }

        JobFileText text;
        try
        {
            text = file is null
                ? new JobFileText(string.Empty, NewFileText, JobFileText.Missing)
                : await JobFiles.ReadAsync(page.Server.Project, $"jobs/{file}.yml", cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException exception) when (exception.Code == ErrorCode.JobDefinitionInvalid)
        {
            return page.NotFound(page.T("There is no jobs file {0}.", file!));
        }

        string title = file is null ? page.T("New jobs file") : page.T("Edit {0}", text.Path);
        Markup name = file is null
            ? HtmlBuilder.Of($"<label class=\"file-name\">{page.T("File")} <span>jobs/<input name=\"name\" required pattern=\"[A-Za-z0-9_\\-]{{1,100}}\" placeholder=\"nightly\" autocomplete=\"off\" spellcheck=\"false\">.yml</span></label>")
            : HtmlBuilder.Of($"<input type=\"hidden\" name=\"name\" value=\"{file}\">");
        Markup body = HtmlBuilder.Of($"""
            <p class="muted">{page.T("Jobs are kept in the project's jobs/*.yml files. Review shows what the save would change, after checking the text as the server will load it; the save reloads the project.")} <a href="/jobs">{page.T("Jobs")}</a></p>
            <form id="job-editor" class="job-editor" data-version="{text.Version}" data-changed="{page.T("The text changed since the review: review it again.")}" data-defines="{page.T("Defines:")}" data-no-change="{page.T("No line changes.")}" data-reload-failed="{page.T("Saved, but the project did not reload:")}" data-exists="{page.T("this file exists already: open it from the Jobs page to edit it.")}">
            {name}
            <label for="job-text">{page.T("Text")}</label>
            <textarea id="job-text" name="text" rows="22" spellcheck="false" autocapitalize="off">{text.Text}</textarea>
            <p class="actions"><button type="button" data-editor="review">{page.T("Review")}</button> <button type="button" class="action" data-editor="save" disabled>{page.T("Save")}</button></p>
            <div id="job-review" aria-live="polite"></div>
            </form>
            """);
        return page.Render(title, "Jobs", body);
    }
}
