using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Planning;

/// <summary>The project the plan and apply tests change: two silver models over bronze orders and a gold one over the first.</summary>
internal static class PlanningProject
{
    /// <summary>A project with silver.orders, silver.other and gold.revenue (over silver.orders).</summary>
    public static RunProject Create() => new RunProject("orders")
        .Model("silver.orders", "SELECT id, amount FROM bronze.orders")
        .Model("silver.other", "SELECT id FROM bronze.orders")
        .Model("gold.revenue", "SELECT sum(amount) AS revenue, count(id) AS orders FROM silver.orders");

    /// <summary>Loads the bronze rows and runs every model, which records what prod holds.</summary>
    public static async Task BuildAsync(RunProject project)
    {
        await project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10, 'paid'), (2, 20, 'open')) t(id, amount, status)");
        Assert.True((await project.RunAsync()).Succeeded);
    }
}
