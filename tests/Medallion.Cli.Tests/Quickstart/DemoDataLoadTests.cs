using Medallion.Cli.Quickstart;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Xunit.Abstractions;

namespace Medallion.Cli.Tests.Quickstart;

/// <summary>The quickstart's dirty demo files through the file source loader, as the quickstart will load them.</summary>
public sealed class DemoDataLoadTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-demo-load-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_project, recursive: true);

    [Fact]
    public async Task Both_demo_batches_load_every_row_once_with_nothing_rejected()
    {
        Directory.CreateDirectory(Path.Combine(_project, "sources"));
        File.WriteAllText(Path.Combine(_project, "medallion.yml"), "name: demo\n");
        File.WriteAllText(Path.Combine(_project, "sources", "shop.yml"),
            "sources:\n"
            + "  - {name: products, format: csv, path: data/products/*.csv}\n"
            + "  - {name: customers, format: csv, path: data/customers/*.csv}\n"
            + "  - {name: orders, format: jsonl, path: data/orders/*.jsonl}\n"
            + "  - {name: order_items, format: csv, path: data/order_items/*.csv}\n"
            + "  - {name: payments, format: csv, path: data/payments/*.csv}\n");
        var demo = new DemoData();
        string data = Path.Combine(_project, "data");
        using var connection = new DuckDbConnection();
        connection.Open();

        foreach (Func<string, DemoData.BatchSummary> write in new Func<string, DemoData.BatchSummary>[] { demo.WriteFirstBatch, demo.WriteSecondBatch })
        {
            DemoData.BatchSummary batch = write(data);
            MedallionProject project = await MedallionProject.LoadAsync(_project);
            foreach (SourceDefinition source in project.Sources)
            {
                SourceLoadResult result = await FileSourceLoader.LoadAsync(project, source, new DeltaWriter(connection), $"batch-{batch.Batch}", TimeProvider.System);
                output.WriteLine($"batch {batch.Batch} {source.Target}: v{result.CommittedVersion} rows {result.RowsLoaded} rejected {result.RowsRejected} {string.Join(" | ", result.Warnings)}");
                long expected = 0;
                foreach (string file in result.FilesLoaded)
                {
                    expected += batch.RowsByFile[file["data/".Length..]];
                }

                Assert.Equal((expected, 0L), (result.RowsLoaded, result.RowsRejected));
                Assert.Equal(batch.Batch == 1 || source.Name != "products" ? 1 : 0, result.FilesLoaded.Count);
            }
        }
    }
}
