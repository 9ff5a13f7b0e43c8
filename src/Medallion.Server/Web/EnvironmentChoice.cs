using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Microsoft.AspNetCore.Http;

namespace Medallion.Server.Web;

/// <summary>
/// The environment a page shows (<c>?environment=dev</c>), chosen among those the catalog holds: the one list every page's
/// selector offers and the one check of a chosen name, so a page never shows prod's data under another environment's name.
/// </summary>
internal static class EnvironmentChoice
{
    /// <summary>
    /// The environments a page offers: prod first, then the others the catalog holds, and <paramref name="chosen"/> last when it
    /// is none of them (a page that refuses it still names it, and a dropped environment's runs are still its own).
    /// </summary>
    public static async Task<List<string>> ListAsync(ServerContext server, string? chosen, CancellationToken cancellationToken)
    {
        List<string> environments = [EnvironmentStore.Production, .. (await server.Catalog.Environments.ListEnvironmentsAsync(cancellationToken).ConfigureAwait(false)).Where(e => e != EnvironmentStore.Production)];
        if (chosen is not null && !environments.Contains(chosen))
        {
            environments.Add(chosen);
        }

        return environments;
    }

    /// <summary>The <c>option</c>s of an environment selector, <paramref name="chosen"/> selected.</summary>
    public static async Task<Markup> OptionsAsync(PageContext page, string chosen, CancellationToken cancellationToken)
    {
        var html = new HtmlBuilder();
        foreach (string environment in await ListAsync(page.Server, chosen, cancellationToken).ConfigureAwait(false))
        {
            html.Add($"<option value=\"{environment}\"{(environment == chosen ? new Markup(" selected") : Markup.Empty)}>{environment}</option>");
        }

        return html.ToMarkup();
    }

    /// <summary>
    /// A form that opens <paramref name="action"/> on another environment (prod when <paramref name="chosen"/> is null),
    /// keeping the page's other query parameters (<paramref name="kept"/>).
    /// </summary>
    public static async Task<Markup> SelectorAsync(PageContext page, string action, string? chosen, IEnumerable<(string Name, string Value)> kept, CancellationToken cancellationToken)
    {
        var hidden = new HtmlBuilder();
        foreach ((string name, string value) in kept)
        {
            hidden.Add($"<input type=\"hidden\" name=\"{name}\" value=\"{value}\">");
        }

        Markup options = await OptionsAsync(page, chosen ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
        return HtmlBuilder.Of($"""
            <form class="environment-choice row" id="environment-choice" method="get" action="{action}"><label for="environment">{page.T("Environment")}</label> <select id="environment" name="environment">{options}</select>{hidden.ToMarkup()} <button type="submit" class="secondary">{page.T("Show")}</button></form>
            """);
    }

    /// <summary><c>environment=name</c> for a link that keeps the page's environment, with <paramref name="separator"/> before it; empty for the default.</summary>
    public static string Query(string? environment, char separator) =>
        environment is null ? string.Empty : separator + "environment=" + Uri.EscapeDataString(environment);

    /// <summary>
    /// The page that refuses an environment: a name none could have is a 400, one that holds nothing a 404, its message
    /// (which names it) encoded; null for any other error, which is not the environment's.
    /// </summary>
    public static IResult? Refusal(PageContext page, string title, string active, MedallionException error) => error.Code switch
    {
        ErrorCode.EnvironmentNameInvalid => page.Render(title, active, Refused(page, error), StatusCodes.Status400BadRequest),
        ErrorCode.EnvironmentNotFound => page.Render(title, active, Refused(page, error), StatusCodes.Status404NotFound),
        _ => null,
    };

    private static Markup Refused(PageContext page, MedallionException error) =>
        HtmlBuilder.Of($"<p class=\"error\" id=\"environment-error\" role=\"alert\">{page.Message(error.Message)}</p>");
}
