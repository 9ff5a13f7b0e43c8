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
        await database.ExecuteAsync("""
            CREATE TABLE kt (id serial PRIMARY KEY, v int NOT NULL);
            ALTER TABLE kt REPLICA IDENTITY FULL;
            CREATE TABLE kt_history (seq bigserial PRIMARY KEY, op text, id int, v int);
            CREATE FUNCTION kt_record() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN INSERT INTO kt_history (op, id, v) VALUES ('delete', OLD.id, OLD.v);
              ELSE INSERT INTO kt_history (op, id, v) VALUES (lower(TG_OP), NEW.id, NEW.v); END IF;
              RETURN NULL;
            END $$;
            CREATE TRIGGER kt_record AFTER INSERT OR UPDATE OR DELETE ON kt FOR EACH ROW EXECUTE FUNCTION kt_record();
            """);
        using var project = new IngestProject(database, "public.kt", $"        mode: cdc\n        slot: {database.Name}_kt\n        batch_rows: 50");
        int transactions = await KilledIngest.RunAsync(project, "kt", WriteChangesAsync);

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _lsn, _seq");
        List<string> history = [];
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT op || ',' || id || ',' || v FROM kt_history ORDER BY seq", connection);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
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
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(CancellationToken.None))
            {
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    string sql = random.Next(10) switch
                    {
                        < 5 => $"INSERT INTO kt (v) VALUES ({random.Next(1000)})",
                        < 8 => "UPDATE kt SET v = v + 1 WHERE id = (SELECT id FROM kt ORDER BY random() LIMIT 1)",
                        _ => "DELETE FROM kt WHERE id = (SELECT id FROM kt ORDER BY random() LIMIT 1)",
                    };
                    await using var command = new NpgsqlCommand(sql, connection, transaction);
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
