using Medallion.Ingestion.Tests;
using Npgsql;

namespace Medallion.Cli.Tests;

/// <summary>
/// The CDC guarantee end to end: <c>medallion ingest --continuous</c> in a process of its own is SIGKILLed at
/// several points while a writer changes the table; after the restarts, bronze holds every change exactly once and
/// in commit order, compared with the history a trigger recorded in the source database.
/// </summary>
public sealed class IngestKillTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Bronze_holds_every_change_exactly_once_after_the_ingest_process_is_killed_repeatedly()
    {
        ChangeWorkload workload = ChangeWorkload.Postgres("kt");
        await database.ExecuteAsync(workload.SetupSql);
        using var project = new IngestProject(database, "public.kt", $"        mode: cdc\n        slot: {database.Name}_kt\n        batch_rows: 50");
        (int transactions, string drained) = await KilledIngest.RunAsync(project, "kt", stop => workload.WriteAsync(new NpgsqlConnection(database.ConnectionString), (2, 15), stop));

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _lsn, _seq");
        List<string> history = await ChangeWorkload.ReadLinesAsync(new NpgsqlConnection(database.ConnectionString), workload.HistorySql);

        Assert.True(transactions > 20, $"Only {transactions} transactions were written while the process was killed.");
        if (!history.SequenceEqual(bronze))
        {
            Assert.Fail(await KilledIngest.DescribeDifferenceAsync(project, "kt", "_lsn, _seq", history, bronze, drained));
        }
    }
}
