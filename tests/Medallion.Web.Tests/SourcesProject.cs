using Medallion.Catalog;
using Medallion.Pipelines.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// The served shop project with ingestion sources beside its file source: a PostgreSQL source whose connection holds a
/// password (a CDC table that passed, an incremental table that failed) and an HTTP API source, with an API key in its
/// URL, that never ran. The database passes are recorded in the catalog as a run records them, so no database is needed.
/// </summary>
internal static class SourcesProject
{
    public const string DatabasePassword = "pg-s3cret";
    public const string ApiKey = "k3y-s3cret";
    public const string FailedPassError = "connection refused: db.internal:5432";

    /// <summary>Writes the sources; pass it as <c>later</c> so the first run builds only the file source.</summary>
    public static void Define(TestProject files) => files
        .Write("medallion.yml", $"name: shop\nstorage: lake\nconnections:\n  pg: {{type: postgres, host: db.internal, port: 5432, database: crm, user: loader, password: {DatabasePassword}}}\n")
        .Write("sources/db.yml", """
            sources:
              - name: crm
                connection: pg
                tables:
                  - {table: public.customers, target: bronze.customers, mode: cdc, slot: crm_customers}
                  - {table: public.invoices, target: bronze.invoices, mode: incremental, cursor: [updated_at]}
            """)
        .Write("sources/api.yml", $"sources:\n  - name: weather\n    url: https://api.example.com/v1/observations?api_key={ApiKey}\n    target: bronze.weather\n");

    /// <summary>One run: the CDC table passed with its LSN and slot lag, the incremental table failed.</summary>
    public static async Task RecordPassesAsync(CatalogStore catalog)
    {
        RunRecord run = await catalog.Runs.StartRunAsync("crm");
        var customers = TableName.Parse("bronze.customers");
        await catalog.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, customers, 1, "crm", "public.customers", "cdc", 42, 1, "0/1A2B3C", 1, 2048, DateTimeOffset.UtcNow));
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, customers, RunStatus.Succeeded, 42, new Dictionary<string, long>(), TimeSpan.FromSeconds(2), CommittedVersion: 1));
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, TableName.Parse("bronze.invoices"), RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), FailedPassError));
        await catalog.Runs.FinishRunAsync(run.Id, RunStatus.Failed, "crm: public.invoices failed");
    }
}
