using System.Net;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>The catalog's filters over HTTP.</summary>
public sealed class CatalogFilterTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task The_classification_filter_keeps_the_tables_with_a_column_of_that_class()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/catalog?classification=pii");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<option selected>pii</option>", html, StringComparison.Ordinal);
        Assert.Contains("silver.orders</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("gold.revenue</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.orders</a>", html, StringComparison.Ordinal);
    }
}
