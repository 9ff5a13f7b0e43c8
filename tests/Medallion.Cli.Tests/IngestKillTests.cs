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
        (int transactions, string drained) = await KilledIngest.RunAsync(project, "kt", stop => KilledIngest.WriteChangesAsync(new NpgsqlConnection(database.ConnectionString), "UPDATE kt SET v = v + 1 WHERE id = (SELECT id FROM kt ORDER BY random() LIMIT 1)", "DELETE FROM kt WHERE id = (SELECT id FROM kt ORDER BY random() LIMIT 1)", stop));

        List<string> bronze = await project.QueryAsync("SELECT _op, id, v FROM bronze.kt WHERE _op <> 'snapshot' ORDER BY _lsn, _seq");
        List<string> history = await KilledIngest.ReadLinesAsync(new NpgsqlConnection(database.ConnectionString), "SELECT op || ',' || id || ',' || v FROM kt_history ORDER BY seq");

        Assert.True(transactions > 20, $"Only {transactions} transactions were written while the process was killed.");
        if (!history.SequenceEqual(bronze))
        {
            Assert.Fail(await KilledIngest.DescribeDifferenceAsync(project, "kt", "_lsn, _seq", history, bronze, drained));
        }
    }
}
