using System.Net;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// A column's page (<c>/tables/{table}?column=</c>, its lineage) as a user granted only some columns of bronze.orders and
/// silver.orders with its e-mails masked (issue #35, item 7): a column the user may not read is answered exactly as one the
/// table does not have, its lineage leaves out columns the user may not read, and no value of the parameter is a 500.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class ColumnPageTests : IAsyncLifetime
{
    private const string Password = "carl-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("carl", PgUserStore.CreateScramVerifier(Password));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Columns, "bronze.orders", ["order_id", "amount"], GranteeKind.User, "carl"), ["bronze.orders"]);
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "carl"), ["silver.orders"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_column_the_user_may_not_read_is_answered_like_a_column_the_table_does_not_have()
    {
        using WebSession session = await SignInAsync();

        (HttpStatusCode ungrantedStatus, string ungranted) = await session.GetAsync("/tables/bronze.orders?column=email");
        (HttpStatusCode unknownStatus, string unknown) = await session.GetAsync("/tables/bronze.orders?column=nope");
        using HttpResponseMessage api = await _served.GetAsync("/api/tables/bronze.orders/lineage?column=email", ServedProject.Basic("carl", Password));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (ungrantedStatus, unknownStatus, api.StatusCode));
        Assert.Contains("Table bronze.orders has no column &#x27;email&#x27;.", ungranted, StringComparison.Ordinal);
        Assert.Equal(WithoutPerRequestValues(unknown.Replace("nope", "email", StringComparison.Ordinal)), WithoutPerRequestValues(ungranted));
        Assert.Contains("Table bronze.orders has no column 'email'.", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lineage_of_a_masked_column_leaves_out_the_upstream_column_the_user_may_not_read()
    {
        using WebSession session = await SignInAsync();

        (HttpStatusCode emailStatus, string email) = await session.GetAsync("/tables/silver.orders?column=email");
        (HttpStatusCode amountStatus, string amount) = await session.GetAsync("/tables/silver.orders?column=amount");
        using HttpResponseMessage api = await _served.GetAsync("/api/tables/silver.orders/lineage?column=email", ServedProject.Basic("carl", Password));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (emailStatus, amountStatus, api.StatusCode));
        Assert.Contains("id=\"column-lineage\"", email, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.orders.email", email, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.orders?column=email", email, StringComparison.Ordinal);
        // The granted upstream column of another column is shown: the lineage is filtered, not switched off.
        Assert.Contains("bronze.orders.amount", amount, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_value_of_the_column_parameter_is_a_server_error()
    {
        using WebSession session = await SignInAsync();
        string[] values = ["", "%00", "a%0D%0Ab", "%27%3B%20DROP%20TABLE%20t%3B--", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%F0%9F%A6%86", "%FF", new string('x', 4000), "email&column=amount", "..%2F..%2Fetc%2Fpasswd"];

        foreach (string value in values)
        {
            foreach (string table in new[] { "bronze.orders", "silver.orders", "gold.nope" })
            {
                (HttpStatusCode status, string html) = await session.GetAsync($"/tables/{table}?column={value}");

                // A repeated parameter may be refused as a bad request, or read as its first value, a column carl reads.
                bool repeated = value.Contains('&', StringComparison.Ordinal);
                Assert.True(status == HttpStatusCode.NotFound || (repeated && (status == HttpStatusCode.BadRequest || (status == HttpStatusCode.OK && table == "silver.orders"))), $"{table}?column={value}: {status}\n{html}");
                Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The page without what differs between any two answers (anti-forgery tokens in fields and meta tags, script nonces).</summary>
    private static string WithoutPerRequestValues(string html) => PerRequestValue().Replace(html, string.Empty);

    private async Task<WebSession> SignInAsync()
    {
        var session = new WebSession(_served);
        await session.SignInOrFailAsync("carl", Password);
        return session;
    }

    [GeneratedRegex("(value|nonce|content)=\"[^\"]*\"")]
    private static partial Regex PerRequestValue();
}
