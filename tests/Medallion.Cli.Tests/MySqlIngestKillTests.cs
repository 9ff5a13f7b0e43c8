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
        int transactions = await KilledIngest.RunAsync(project, "kt", WriteChangesAsync);

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _binlog_file, _binlog_pos, _seq");
        List<string> history = [];
        await using (var connection = new MySqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT CONCAT(op, ',', id, ',', v) FROM kt_history ORDER BY seq", connection);
            await using System.Data.Common.DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                history.Add(reader.GetString(0));
            }
        }

        Assert.True(transactions > 20, $"Only {transactions} transactions were written while the process was killed.");
        Assert.Equal(history.Count, bronze.Count);
        Assert.Equal(history, bronze);
    }

    /// <summary>One transaction after another (1 to 3 inserts, updates or deletes each) until stopped; returns how many committed.</summary>
    private async Task<int> WriteChangesAsync(CancellationToken stop)
    {
        var random = new Random(6);
        int transactions = 0;
        await using var connection = new MySqlConnection(database.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            await using (MySqlTransaction transaction = await connection.BeginTransactionAsync(CancellationToken.None))
            {
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    string sql = random.Next(10) switch
                    {
                        < 5 => $"INSERT INTO kt (v) VALUES ({random.Next(1000)})",
                        < 8 => "UPDATE kt SET v = v + 1 ORDER BY rand() LIMIT 1",
                        _ => "DELETE FROM kt ORDER BY rand() LIMIT 1",
                    };
                    await using var command = new MySqlCommand(sql, connection, transaction);
                    await command.ExecuteNonQueryAsync(CancellationToken.None);
                }

                await transaction.CommitAsync(CancellationToken.None);
            }

            transactions++;
            await Task.Delay(random.Next(2, 15), CancellationToken.None);
        }

        return transactions;
    }
}
