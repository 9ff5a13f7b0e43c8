using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

/// <summary>Debezium endpoint sources in sources/*.yml (entries with <c>listen:</c>): read with file:line:column errors.</summary>
public sealed class EndpointSourceLoadingTests : IDisposable
{
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    public void Dispose() => _project.Dispose();

    private async Task<MedallionException> LoadFailsAsync(string sources)
    {
        _project.Write("sources/cdc.yml", sources);
        return await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());
    }

    [Fact]
    public async Task An_endpoint_source_loads_its_address_target_and_token_reference_unresolved()
    {
        _project.Write("sources/cdc.yml", """
            sources:
              - name: orders_cdc
                listen: 0.0.0.0:8089
                target: bronze.orders_changes
                auth: {type: bearer, token: "${CDC_TOKEN}"}
            """);

        MedallionProject project = await _project.LoadAsync();
        EndpointSourceDefinition source = Assert.Single(project.EndpointSources);

        Assert.Equal(
            ("orders_cdc", new TableName("bronze", "orders_changes"), new Uri("http://0.0.0.0:8089/"), "${CDC_TOKEN}"),
            (source.Name, source.Target, source.Address, source.BearerToken));
        Assert.Contains(new TableName("bronze", "orders_changes"), project.Tables);
    }

    [Fact]
    public async Task An_endpoint_source_without_auth_has_no_token_and_lands_in_bronze_under_its_name()
    {
        _project.Write("sources/cdc.yml", "sources:\n  - name: orders_cdc\n    listen: 127.0.0.1:8089\n");

        EndpointSourceDefinition source = Assert.Single((await _project.LoadAsync()).EndpointSources);

        Assert.Equal((new TableName("bronze", "orders_cdc"), (string?)null), (source.Target, source.BearerToken));
    }

    [Fact]
    public async Task A_listen_that_is_not_host_and_port_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - name: orders_cdc\n    listen: 127.0.0.1:8089/cdc\n");

        Assert.Equal("sources/cdc.yml:3:13: 'listen' must be host:port, but found '127.0.0.1:8089/cdc'. Expected e.g. 'listen: 127.0.0.1:8089'.", error.Message);
    }

    [Fact]
    public async Task Endpoint_auth_of_a_kind_the_endpoint_cannot_check_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - name: orders_cdc\n    listen: 127.0.0.1:8089\n    auth: {type: basic, token: x}\n");

        Assert.Equal("sources/cdc.yml:4:18: 'type' cannot be 'basic'. Expected one of: bearer.", error.Message);
    }

    [Fact]
    public async Task Bearer_endpoint_auth_without_a_token_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - name: orders_cdc\n    listen: 127.0.0.1:8089\n    auth:\n      type: bearer\n");

        Assert.Equal("sources/cdc.yml:5:7: 'auth' of type bearer (source 'orders_cdc') needs 'token'. Expected e.g. 'token: ${CDC_TOKEN}'.", error.Message);
    }
}
