using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/admin</c>: users, roles and their members, grants, masking policies, row filters and API tokens, for admins
/// only. The page lists what the catalog holds; every change it offers is a call of the REST API's admin endpoints
/// (<see cref="Http.AccessEndpoints"/>) by the script, with the anti-forgery token, so a change made here follows the
/// same rules, is audited the same way and fails with the same coded message, shown next to the form that asked.
/// </summary>
internal static class AdminPage
{
    /// <summary>The lifetimes a token may be created with, as the API reads them.</summary>
    private static readonly string[] s_tokenLifetimes = ["30d", "90d", "365d", "never"];

    private static readonly string[] s_privileges = ["select", "unmask", "operate", "admin"];

    private static readonly string[] s_maskPolicies = ["hash", "partial", "null"];

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/admin", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        // Asked of the catalog now, not of the session: an admin demoted a moment ago sees this page no more.
        if (page.UserName is null || !await server.Access.IsAdminAsync(page.UserName, cancellationToken).ConfigureAwait(false))
        {
            return page.Render(page.T("Administration"), string.Empty,
                HtmlBuilder.Of($"<p class=\"error\" role=\"alert\">{page.T("Only an admin manages users, roles, grants and tokens.")}</p>"), StatusCodes.Status403Forbidden);
        }

        List<CatalogUser> users = await server.Access.ListUsersAsync(cancellationToken).ConfigureAwait(false);
        List<AccessRole> roles = await server.Access.ListRolesAsync(cancellationToken).ConfigureAwait(false);
        List<AccessGrant> grants = await server.Access.ListGrantsAsync(cancellationToken).ConfigureAwait(false);
        List<MaskingPolicy> masks = await server.Access.ListMasksAsync(cancellationToken).ConfigureAwait(false);
        List<RowFilter> filters = await server.Access.ListRowFiltersAsync(cancellationToken).ConfigureAwait(false);
        List<ApiToken> tokens = await server.Access.ListTokensAsync(null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TableName> tables;
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            tables = lakehouse.TableNames;
        }

        var html = new HtmlBuilder();
        html.Add($"""
            <p class="muted">{page.T("Changes here are made through the REST API's admin endpoints and audited like them.")}</p>
            <nav class="admin-toc" aria-label="{page.T("Sections")}"><a href="#users">{page.T("Users")}</a> <a href="#roles">{page.T("Roles")}</a> <a href="#grants">{page.T("Grants")}</a> <a href="#masks">{page.T("Masks")}</a> <a href="#row-filters">{page.T("Row filters")}</a> <a href="#tokens">{page.T("Tokens")}</a></nav>
            <datalist id="admin-users">{Options(users.Select(u => u.Name))}</datalist>
            <datalist id="admin-grantees">{Options(users.Select(u => u.Name).Concat(roles.Select(r => r.Name)))}</datalist>
            <datalist id="admin-objects">{Options(tables.Select(t => t.Namespace!).Distinct(StringComparer.Ordinal).Concat(tables.Select(t => t.ToString())).Concat(masks.Select(m => m.Classification)).Append("server"))}</datalist>
            <datalist id="admin-tables">{Options(tables.Select(t => t.ToString()))}</datalist>
            """);
        html.Add(UsersSection(page, users, roles));
        html.Add(RolesSection(page, users, roles));
        html.Add(GrantsSection(page, grants));
        html.Add(MasksSection(page, masks));
        html.Add(RowFiltersSection(page, filters));
        html.Add(TokensSection(page, users, tokens));
        return page.Render(page.T("Administration"), "Admin", html.ToMarkup());
    }

    private static Markup UsersSection(PageContext page, List<CatalogUser> users, List<AccessRole> roles)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "users", "Users"));
        html.Add($"""
            <div class="scroll"><table class="admin-users"><thead><tr><th>{page.T("User")}</th><th>{page.T("Server role")}</th><th>{page.T("Roles")}</th><th>{page.T("Added")}</th><th>{page.T("Actions")}</th></tr></thead><tbody>
            """);
        foreach (CatalogUser user in users)
        {
            string encoded = Uri.EscapeDataString(user.Name);
            string role = Platform.Access.AccessService.ServerRoleName(user.Role);
            html.Add($"""
                <tr data-user="{user.Name}"><td><strong>{user.Name}</strong>{(user.IsAdmin ? HtmlBuilder.Of($" <span class=\"tag\">{page.T("admin")}</span>") : Markup.Empty)}</td>
                <td><form class="inline" data-api="/api/users/{encoded}/role" data-method="PUT"><label class="visually-hidden" for="role-{user.Name}">{page.T("Server role of")} {user.Name}</label><select id="role-{user.Name}" name="role" data-autosubmit-api>{RoleOptions(page, role)}</select></form></td>
                <td>{string.Join(", ", roles.Where(r => r.Members.Contains(user.Name)).Select(r => r.Name))}</td>
                <td>{page.Time(user.CreatedAt)}</td>
                <td class="actions">{(user.Name == page.UserName ? HtmlBuilder.Of($"<span class=\"muted small\">{page.T("you")}</span>") : page.AdminButton($"/api/users/{encoded}", "Delete", "DELETE", confirm: page.T("Delete user {0}, with their grants and tokens?", user.Name), label: page.T("Delete user {0}", user.Name)))}</td></tr>
                """);
        }

        html.Add($"""
            </tbody></table></div>
            <h3>{page.T("Add a user")}</h3>
            <form class="admin-form" id="add-user" data-api="/api/users" data-method="POST" data-lists="roles" data-new="name" data-existing="admin-users" data-exists="{page.T("There is already a user {0}: the API would change their password. Pick another name.")}">
            <label>{page.T("User")} <input name="name" required autocomplete="off"></label>
            <label>{page.T("Password")} <input name="password" type="password" required autocomplete="new-password"></label>
            <label>{page.T("Server role")} <select name="roles">{RoleOptions(page, "viewer")}</select></label>
            <label>{page.T("Role")} <select name="roles"><option value="">{page.T("no role")}</option>{Options(roles.Select(r => r.Name), asOptions: true)}</select></label>
            <label class="check"><input type="checkbox" name="admin"> {page.T("admin")}</label>
            <button type="submit">{page.T("Add user")}</button>
            </form>
            </section>
            """);
        return html.ToMarkup();
    }

    private static Markup RolesSection(PageContext page, List<CatalogUser> users, List<AccessRole> roles)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "roles", "Roles"));
        if (roles.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No role yet.")}</p>");
        }
        else
        {
            html.Add($"<div class=\"scroll\"><table class=\"admin-roles\"><thead><tr><th>{page.T("Role")}</th><th>{page.T("Members")}</th><th>{page.T("Declared in")}</th><th>{page.T("Actions")}</th></tr></thead><tbody>");
            foreach (AccessRole role in roles)
            {
                html.Add($"<tr data-role=\"{role.Name}\"><td><strong>{role.Name}</strong></td><td><ul class=\"plain\">");
                foreach (string member in role.Members)
                {
                    html.Add($"<li>{member} {page.AdminButton("/api/grants", "Remove", "DELETE", Body(("grant", role.Name), ("grantee", member)), page.T("Remove {0} from role {1}?", member, role.Name), page.T("Remove {0} from role {1}", member, role.Name))}</li>");
                }

                html.Add($"""
                    </ul></td><td>{role.DeclaredIn ?? "–"}</td>
                    <td class="actions">{page.AdminButton($"/api/roles/{Uri.EscapeDataString(role.Name)}", "Drop", "DELETE", confirm: page.T("Drop role {0}, with its grants and memberships?", role.Name), label: page.T("Drop role {0}", role.Name))}</td></tr>
                    """);
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add($"""
            <div class="admin-forms">
            <form class="admin-form" id="create-role" data-api="/api/roles" data-method="POST">
            <label>{page.T("Role")} <input name="name" required autocomplete="off"></label>
            <button type="submit">{page.T("Create role")}</button>
            </form>
            {(roles.Count == 0 ? Markup.Empty : HtmlBuilder.Of($"""
                <form class="admin-form" id="add-member" data-api="/api/grants" data-method="POST">
                <label>{page.T("Role")} <select name="grant" required>{Options(roles.Select(r => r.Name), asOptions: true)}</select></label>
                <label>{page.T("User")} <select name="grantee" required>{Options(users.Select(u => u.Name), asOptions: true)}</select></label>
                <button type="submit">{page.T("Add to role")}</button>
                </form>
                """))}
            </div>
            </section>
            """);
        return html.ToMarkup();
    }

    private static Markup GrantsSection(PageContext page, List<AccessGrant> grants)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "grants", "Grants"));
        if (grants.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No grant yet: only admins read tables.")}</p>");
        }
        else
        {
            html.Add($"<div class=\"scroll\"><table class=\"admin-grants\"><thead><tr><th>{page.T("Grant")}</th><th>{page.T("Grantee")}</th><th>{page.T("Declared in")}</th><th>{page.T("Actions")}</th></tr></thead><tbody>");
            foreach (AccessGrant grant in grants)
            {
                string text = AccessGrantText.Format(grant);
                html.Add($"""
                    <tr><td><code>{text}</code></td><td>{page.T(grant.GranteeKind == GranteeKind.Role ? "role" : "user")} {grant.Grantee}</td><td>{grant.DeclaredIn ?? "–"}</td>
                    <td class="actions">{page.AdminButton("/api/grants", "Revoke", "DELETE", Body(("grant", text), ("grantee", grant.Grantee)), page.T("Revoke {0} from {1}?", text, grant.Grantee), page.T("Revoke {0} from {1}", text, grant.Grantee))}</td></tr>
                    """);
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add($"""
            <form class="admin-form" id="grant" data-api="/api/grants" data-method="POST" data-compose="grant={"{privilege}"} on {"{object}"}">
            <label>{page.T("Privilege")} <select name="privilege">{Options(s_privileges, asOptions: true)}</select></label>
            <label>{page.T("On")} <input name="object" required list="admin-objects" autocomplete="off" placeholder="{page.T("namespace, table, classification or server")}"></label>
            <label>{page.T("Grantee")} <input name="grantee" required list="admin-grantees" autocomplete="off" placeholder="{page.T("user or role")}"></label>
            <button type="submit">{page.T("Grant")}</button>
            </form>
            </section>
            """);
        return html.ToMarkup();
    }

    private static Markup MasksSection(PageContext page, List<MaskingPolicy> masks)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "masks", "Masks"));
        html.Add($"""
            <p class="muted small">{page.T("A classified column whose classification has no policy is masked with a keyed hash for users without unmask on it.")}</p>
            """);
        if (masks.Count > 0)
        {
            html.Add($"<div class=\"scroll\"><table class=\"admin-masks\"><thead><tr><th>{page.T("Classification")}</th><th>{page.T("Policy")}</th><th>{page.T("Declared in")}</th></tr></thead><tbody>");
            foreach (MaskingPolicy mask in masks)
            {
                string policy = mask.Kind == MaskingPolicyKind.Expression ? mask.Expression! : mask.Kind.ToString().ToLowerInvariant();
                html.Add($"<tr><td>{mask.Classification}</td><td><code>{policy}</code></td><td>{mask.DeclaredIn ?? "–"}</td></tr>");
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add($"""
            <form class="admin-form" id="set-mask" data-api="/api/masks/{"{classification}"}" data-method="PUT">
            <label>{page.T("Classification")} <input name="classification" required autocomplete="off" placeholder="pii"></label>
            <label>{page.T("Policy")} <input name="policy" required list="admin-mask-policies" autocomplete="off" placeholder="{page.T("hash, partial, null or SQL with {column}")}"></label>
            <datalist id="admin-mask-policies">{Options(s_maskPolicies)}</datalist>
            <button type="submit">{page.T("Set mask")}</button>
            </form>
            </section>
            """);
        return html.ToMarkup();
    }

    private static Markup RowFiltersSection(PageContext page, List<RowFilter> filters)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "row-filters", "Row filters"));
        if (filters.Count > 0)
        {
            html.Add($"<div class=\"scroll\"><table class=\"admin-row-filters\"><thead><tr><th>{page.T("Table")}</th><th>{page.T("Grantee")}</th><th>{page.T("Condition")}</th><th>{page.T("Declared in")}</th></tr></thead><tbody>");
            foreach (RowFilter filter in filters)
            {
                html.Add($"<tr><td>{filter.Table}</td><td>{page.T(filter.GranteeKind == GranteeKind.Role ? "role" : "user")} {filter.Grantee}</td><td><code>{filter.Predicate}</code></td><td>{filter.DeclaredIn ?? "–"}</td></tr>");
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add($"""
            <form class="admin-form" id="set-row-filter" data-api="/api/row-filters/{"{table}"}/{"{grantee}"}" data-method="PUT">
            <label>{page.T("Table")} <input name="table" required list="admin-tables" autocomplete="off"></label>
            <label>{page.T("Grantee")} <input name="grantee" required list="admin-grantees" autocomplete="off" placeholder="{page.T("user or role")}"></label>
            <label class="wide">{page.T("Condition")} <input name="predicate" required autocomplete="off" placeholder="region = user.attribute('region')"></label>
            <button type="submit">{page.T("Set row filter")}</button>
            </form>
            </section>
            """);
        return html.ToMarkup();
    }

    private static Markup TokensSection(PageContext page, List<CatalogUser> users, List<ApiToken> tokens)
    {
        var html = new HtmlBuilder();
        html.Add(Heading(page, "tokens", "Tokens"));
        html.Add($"""
            <p class="muted small">{page.T("A token acts as its user on the REST API, sent as Authorization: Bearer.")}</p>
            """);
        if (tokens.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No token yet.")}</p>");
        }
        else
        {
            html.Add($"<div class=\"scroll\"><table class=\"admin-tokens\"><thead><tr><th>{page.T("User")}</th><th>{page.T("Token")}</th><th>{page.T("Created")}</th><th>{page.T("Last used")}</th><th>{page.T("Expires")}</th><th>{page.T("Actions")}</th></tr></thead><tbody>");
            foreach (ApiToken token in tokens)
            {
                html.Add($"""
                    <tr data-token="{token.Id}"><td>{token.User}</td><td><code>{token.Id}</code></td><td>{page.Time(token.CreatedAt)}</td><td>{(token.LastUsedAt is null ? Never(page) : page.Time(token.LastUsedAt))}</td><td>{(token.ExpiresAt is null ? Never(page) : page.Time(token.ExpiresAt))}</td>
                    <td class="actions">{(token.RevokedAt is { } revoked
                        ? HtmlBuilder.Of($"<span class=\"muted small\">{page.T("revoked")} {page.Time(revoked)}</span>")
                        : page.AdminButton($"/api/tokens/{Uri.EscapeDataString(token.Id)}", "Revoke", "DELETE", confirm: page.T("Revoke token {0} of {1}? It stops working at once.", token.Id, token.User), label: page.T("Revoke token {0}", token.Id)))}</td></tr>
                    """);
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add($"""
            <form class="admin-form" id="create-token" data-api="/api/users/{"{user}"}/tokens" data-method="POST" data-then="secret">
            <label>{page.T("User")} <select name="user" required>{Options(users.Select(u => u.Name), asOptions: true)}</select></label>
            <label>{page.T("Expires after")} <select name="expires">{TokenLifetimes(page)}</select></label>
            <button type="submit">{page.T("Create token")}</button>
            </form>
            <div class="token-secret" id="token-secret" role="status" hidden>
            <p><strong>{page.T("Copy the token now: it is not shown again.")}</strong></p>
            <p><code id="token-secret-value"></code> <button type="button" class="secondary" data-copy="token-secret-value" data-copied="{page.T("Copied")}">{page.T("Copy")}</button></p>
            <button type="button" class="secondary" data-reload>{page.T("Done")}</button>
            </div>
            </section>
            """);
        return html.ToMarkup();
    }

    /// <summary>A section's start: its heading, and the lead of the notices its forms and buttons show when the API refuses.</summary>
    private static Markup Heading(PageContext page, string id, string title) =>
        HtmlBuilder.Of($"<section id=\"{id}\" class=\"admin-section\" data-failed=\"{page.T("Not done:")}\">\n<h2>{page.T(title)}</h2>\n");

    private static Markup Never(PageContext page) => HtmlBuilder.Of($"{page.T("never")}");

    private static Markup RoleOptions(PageContext page, string chosen)
    {
        var html = new HtmlBuilder();
        foreach (string role in (ReadOnlySpan<string>)["viewer", "operator"])
        {
            html.Add($"<option value=\"{role}\"{(role == chosen ? new Markup(" selected") : Markup.Empty)}>{page.T(role)}</option>");
        }

        return html.ToMarkup();
    }

    private static Markup TokenLifetimes(PageContext page)
    {
        var html = new HtmlBuilder();
        foreach (string lifetime in s_tokenLifetimes)
        {
            string label = lifetime == "never" ? page.T("never") : page.T("{0} days", lifetime.TrimEnd('d'));
            html.Add($"<option value=\"{lifetime}\"{(lifetime == Platform.Access.AccessService.DefaultTokenLifetime ? new Markup(" selected") : Markup.Empty)}>{label}</option>");
        }

        return html.ToMarkup();
    }

    /// <summary>Options of a datalist (or, with <paramref name="asOptions"/>, of a select: the same element with its text).</summary>
    private static Markup Options(IEnumerable<string> values, bool asOptions = false)
    {
        var html = new HtmlBuilder();
        foreach (string value in values.Distinct(StringComparer.Ordinal))
        {
            html.Add(asOptions ? HtmlBuilder.Of($"<option value=\"{value}\">{value}</option>") : HtmlBuilder.Of($"<option value=\"{value}\"></option>"));
        }

        return html.ToMarkup();
    }

    /// <summary>A JSON body of string fields, for a button's call.</summary>
    private static string Body(params (string Name, string Value)[] fields) =>
        System.Text.Json.JsonSerializer.Serialize(fields.ToDictionary(f => f.Name, f => f.Value));
}
