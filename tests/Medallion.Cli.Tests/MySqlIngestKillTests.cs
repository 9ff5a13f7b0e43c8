using Medallion.Ingestion.Tests;
using MySql.Data.MySqlClient;

namespace Medallion.Cli.Tests;

/// <summary>
/// The CDC guarantee end to end for a MariaDB source: <c>medallion ingest --continuous</c> reading the binlog is
/// SIGKILLed at several points while a writer changes the table; afterwards bronze holds every change exactly once
/// and in commit order, compared with the history triggers recorded in the source database.
/// </summary>
public sealed class MySqlIngestKillTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>
{
    [Fact]
    public async Task Bronze_holds_every_binlog_change_exactly_once_after_the_ingest_process_is_killed_repeatedly()
    {
        ChangeWorkload workload = ChangeWorkload.MariaDb("kt");
        await database.ExecuteAsync(workload.SetupSql);
        using var project = new IngestProject(database, "kt", "        mode: cdc\n        batch_rows: 50");
        (int transactions, string drained) = await KilledIngest.RunAsync(project, "kt", stop => workload.WriteAsync(new MySqlConnection(database.ConnectionString), (2, 15), stop));

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _binlog_file, _binlog_pos, _seq");
        List<string> history = await ChangeWorkload.ReadLinesAsync(new MySqlConnection(database.ConnectionString), workload.HistorySql);

        Assert.True(transactions > 20, $"Only {transactions} transactions were written while the process was killed.");
        if (!history.SequenceEqual(bronze))
        {
            Assert.Fail(await KilledIngest.DescribeDifferenceAsync(project, "kt", "_binlog_file, _binlog_pos, _seq", history, bronze, drained));
        }
    }
}
