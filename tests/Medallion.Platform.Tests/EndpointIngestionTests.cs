using System.Net;
using System.Text;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests;

/// <summary><see cref="EndpointIngestion"/> running a project's Debezium endpoint source on loopback.</summary>
public sealed class EndpointIngestionTests : IDisposable
{
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_project_endpoint_source_commits_each_posted_event_into_its_bronze_table_until_stopped()
    {
        int port = ApiServer.FreePort();
        _project.Write("sources/cdc.yml", $"sources:\n  - name: orders_cdc\n    listen: 127.0.0.1:{port}\n    target: bronze.orders_cdc\n");
        MedallionProject project = await _project.LoadAsync();

        using (EndpointIngestion endpoint = EndpointIngestion.Start(project, project.EndpointSources[0]))
        {
            using var stop = new CancellationTokenSource();
            Task running = endpoint.RunAsync(stop.Token);
            using var client = new HttpClient();
            using var content = new StringContent("""{"op":"c","after":{"id":1,"status":"new"},"source":{"lsn":1}}""", Encoding.UTF8, "application/json");
            HttpResponseMessage response = await client.PostAsync(endpoint.Address, content);
            await stop.CancelAsync();
            await running;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, endpoint.EventsCommitted);
            Assert.Equal(Path.Combine(_project.Directory, "lake", "bronze", "orders_cdc"), endpoint.TablePath);
        }

        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_project.Directory);
        TableSummary table = Assert.Single(await lakehouse.ListTablesAsync("bronze"));
        Assert.Equal((0L, 1L), (table.Version!.Value, table.Rows!.Value));
    }
}
