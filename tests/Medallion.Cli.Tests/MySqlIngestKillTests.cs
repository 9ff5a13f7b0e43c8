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
        await database.ExecuteAsync("""
            CREATE TABLE kt (id int AUTO_INCREMENT PRIMARY KEY, v int NOT NULL);
            CREATE TABLE kt_history (seq bigint AUTO_INCREMENT PRIMARY KEY, op varchar(10), id int, v int);
            CREATE TRIGGER kt_insert AFTER INSERT ON kt FOR EACH ROW INSERT INTO kt_history (op, id, v) VALUES ('insert', NEW.id, NEW.v);
            CREATE TRIGGER kt_update AFTER UPDATE ON kt FOR EACH ROW INSERT INTO kt_history (op, id, v) VALUES ('update', NEW.id, NEW.v);
            CREATE TRIGGER kt_delete AFTER DELETE ON kt FOR EACH ROW INSERT INTO kt_history (op, id, v) VALUES ('delete', OLD.id, OLD.v);
            """);
        using var project = new IngestProject(database, "kt", "        mode: cdc\n        batch_rows: 50");
        (int transactions, string drained) = await KilledIngest.RunAsync(project, "kt", stop => KilledIngest.WriteChangesAsync(new MySqlConnection(database.ConnectionString), "UPDATE kt SET v = v + 1 ORDER BY rand() LIMIT 1", "DELETE FROM kt ORDER BY rand() LIMIT 1", stop));

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _binlog_file, _binlog_pos, _seq");
        List<string> history = await KilledIngest.ReadLinesAsync(new MySqlConnection(database.ConnectionString), "SELECT CONCAT(op, ',', id, ',', v) FROM kt_history ORDER BY seq");

        Assert.True(transactions > 20, $"Only {transactions} transactions were written while the process was killed.");
        if (!history.SequenceEqual(bronze))
        {
            Assert.Fail(await KilledIngest.DescribeDifferenceAsync(project, "kt", "_binlog_file, _binlog_pos, _seq", history, bronze, drained));
        }
    }
}
