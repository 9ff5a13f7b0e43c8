using System.Diagnostics;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// A test that runs only with a real Unity Catalog client at hand: skipped unless <c>MEDALLION_TEST_UC_CLIENT</c> names a
/// DuckDB CLI (whose <c>uc_catalog</c> and <c>delta</c> extensions it can install) or a Python with PySpark (which fetches
/// the Delta and Unity Catalog Spark packages, <c>MEDALLION_TEST_UC_SPARK_PACKAGES</c> to choose them).
/// </summary>
public sealed class LiveUcClientFactAttribute : FactAttribute
{
    public const string Variable = "MEDALLION_TEST_UC_CLIENT";

    public LiveUcClientFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Set {Variable} to a duckdb CLI or a python with pyspark to read a served table through a real Unity Catalog client.";
        }
    }
}

/// <summary>A real engine finds a served table through the Unity Catalog API, gets its credentials and reads it.</summary>
public sealed class LiveUcClientTests
{
    [LiveUcClientFact]
    public async Task A_real_client_reads_a_served_table_through_the_catalog()
    {
        var project = new UnityCatalogProject();
        await project.InitializeAsync();
        try
        {
            string client = Environment.GetEnvironmentVariable(LiveUcClientFactAttribute.Variable)!;
            string endpoint = project.Served.Http.BaseAddress!.ToString().TrimEnd('/');
            string token = project.Admin.Parameter!;
            bool duckDb = Path.GetFileName(client).Contains("duckdb", StringComparison.OrdinalIgnoreCase);
            string output = duckDb
                ? await RunAsync(client, ["-csv", "-noheader", "-c",
                    "INSTALL uc_catalog; INSTALL delta; LOAD uc_catalog; LOAD delta; "
                    + $"CREATE SECRET (TYPE UC, TOKEN '{token}', ENDPOINT '{endpoint}', AWS_REGION 'us-east-1'); "
                    + "ATTACH 'shop' AS shop (TYPE UC_CATALOG); SELECT sum(amount) FROM shop.silver.orders;"])
                : await RunAsync(client, ["-c", SparkScript(endpoint, token)]);

            Assert.Equal("30", output.Trim().Split('\n')[^1].Trim().TrimEnd('0').TrimEnd('.'));
        }
        finally
        {
            await project.DisposeAsync();
        }
    }

    private static string SparkScript(string endpoint, string token) => $$"""
        import os
        from pyspark.sql import SparkSession
        packages = os.environ.get("MEDALLION_TEST_UC_SPARK_PACKAGES", "io.delta:delta-spark_2.13:4.0.0,io.unitycatalog:unitycatalog-spark_2.13:0.3.0")
        spark = (SparkSession.builder.appName("medallion-uc")
            .config("spark.jars.packages", packages)
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.shop", "io.unitycatalog.spark.UCSingleCatalog")
            .config("spark.sql.catalog.shop.uri", "{{endpoint}}")
            .config("spark.sql.catalog.shop.token", "{{token}}")
            .config("spark.sql.defaultCatalog", "shop")
            .getOrCreate())
        print(spark.sql("SELECT sum(amount) FROM shop.silver.orders").collect()[0][0])
        """;

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {await error}");
        return await output;
    }
}
