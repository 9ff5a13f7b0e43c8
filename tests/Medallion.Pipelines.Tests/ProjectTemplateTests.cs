using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class ProjectTemplateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "medallion-init-" + Guid.NewGuid().ToString("N"), "My Shop");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }

    [Fact]
    public async Task Init_writes_settings_a_source_sample_data_and_models()
    {
        IReadOnlyList<string> files = await ProjectTemplate.CreateAsync(_directory);

        Assert.Equal(
            ["medallion.yml", "sources/files.yml", "data/orders/orders_2026-01-01.csv", "models/silver/orders.sql", "models/gold/daily_revenue.sql", "models/models.yml", ".gitignore"],
            files);
    }

    [Fact]
    public async Task The_scaffolded_project_loads_and_builds_its_graph_without_errors()
    {
        await ProjectTemplate.CreateAsync(_directory);

        MedallionProject project = await MedallionProject.LoadAsync(_directory, _ => null);
        ModelGraph graph = await ModelGraph.BuildAsync(project);

        Assert.Equal("my_shop", project.Name);
        Assert.Equal(["silver.orders", "gold.daily_revenue"], graph.Models.Select(m => m.Name.ToString()));
        Assert.Equal(Materialization.Merge, graph.GetModel(new TableName("silver", "orders")).Config.Materialized);
        Assert.Equal(["silver.orders.amount"], graph.GetAnalysis(new TableName("gold", "daily_revenue")).Columns.Single(c => c.Name == "revenue").Sources.Select(s => s.ToString()));
    }

    [Fact]
    public async Task Init_refuses_a_directory_that_already_holds_a_project()
    {
        await ProjectTemplate.CreateAsync(_directory);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => ProjectTemplate.CreateAsync(_directory));

        Assert.Equal(ErrorCode.ProjectAlreadyExists, error.Code);
        Assert.Equal($"'{_directory}' already has a medallion.yml; init leaves existing projects alone.\nHelp: choose another directory, e.g. 'medallion init my_project'.", error.Message);
    }
}
