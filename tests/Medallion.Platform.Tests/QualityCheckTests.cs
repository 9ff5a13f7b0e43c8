using Medallion.Catalog;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests;

/// <summary><see cref="QualityCheck"/> on the data of real tables, with the results kept in the catalog under a run of their own.</summary>
public sealed class QualityCheckTests(ShopProject shop) : IClassFixture<ShopProject>
{
    [Fact]
    public async Task Checking_a_built_model_records_each_rule_result_under_a_new_succeeded_run()
    {
        await using var environment = await Pipelines.ProjectEnvironment.LoadAsync(shop.Directory);
        QualityCheckResult result = await QualityCheck.CheckAsync(environment, "silver.orders");

        ModelCheck check = Assert.Single(result.Models);
        Assert.Equal((new TableName("silver", "orders"), true, null), (check.Model, check.Built, check.Error));
        // The quarantined row was set aside by the runs, so the silver table itself passes both rules.
        Assert.Equal([("not_null(order_id)", true), ("amount_positive", true)], check.Results.Select(r => (r.Rule.Name, r.Passed)));
        Assert.Equal((false, "2 rules on 1 model: 2 passed, 0 failed, 0 quarantine, 0 warned."), (result.Failed, result.Summary));
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);
        RunDetails run = await lakehouse.GetRunAsync(result.RunId);
        Assert.Equal((RunStatus.Succeeded, "silver.orders"), (run.Run.Status, run.Run.Selection));
        Assert.Equal(["amount_positive", "not_null(order_id)"], run.Quality.Select(q => q.Rule).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_strict_check_fails_on_a_model_not_built_and_records_why()
    {
        using var project = new TestProject("name: fresh\nstorage: lake\n")
            .Write("models/gold/later.sql", "/* ---\nexpectations:\n  - not_null: [one]\n--- */\nSELECT 1 AS one\n");

        await using var environment = new Pipelines.ProjectEnvironment(await project.LoadAsync());
        QualityCheckResult result = await QualityCheck.CheckAsync(environment, strict: true);

        ModelCheck check = Assert.Single(result.Models);
        Assert.Equal((false, 0), (check.Built, check.Results.Count));
        Assert.Equal((true, "0 rules on 0 models: 0 passed, 0 failed, 0 quarantine, 0 warned; 1 not built."), (result.Failed, result.Summary));
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(project.Directory);
        RunDetails run = await lakehouse.GetRunAsync(result.RunId);
        Assert.Equal((RunStatus.Failed, result.Summary), (run.Run.Status, run.Run.Error));
    }
}
