using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Cli.Tests;

/// <summary>
/// What the kill tests (and the ingestion benchmark's kill loop, which links this file) write to a source table
/// <c>(id, v)</c>: transactions of 1 to 3 inserts, updates or deletes of one random row, each change recorded by a
/// trigger in <c>&lt;table&gt;_history</c> in commit order, which is what bronze is compared with.
/// </summary>
/// <param name="Table">The source table.</param>
/// <param name="SetupSql">Creates the table, its history table and the triggers (one batch of statements).</param>
/// <param name="UpdateOneRow">Updates one random row, in the source's SQL.</param>
/// <param name="DeleteOneRow">Deletes one random row, in the source's SQL.</param>
/// <param name="HistorySql">The recorded changes as <c>op,id,v</c> lines, in order.</param>
internal sealed record ChangeWorkload(string Table, string SetupSql, string UpdateOneRow, string DeleteOneRow, string HistorySql)
{
    public static ChangeWorkload Postgres(string table) => new(
        table,
        $"""
        CREATE TABLE {table} (id serial PRIMARY KEY, v int NOT NULL);
        ALTER TABLE {table} REPLICA IDENTITY FULL;
        CREATE TABLE {table}_history (seq bigserial PRIMARY KEY, op text, id int, v int);
        CREATE FUNCTION {table}_record() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN INSERT INTO {table}_history (op, id, v) VALUES ('delete', OLD.id, OLD.v);
          ELSE INSERT INTO {table}_history (op, id, v) VALUES (lower(TG_OP), NEW.id, NEW.v); END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER {table}_record AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_record();
        """,
        $"UPDATE {table} SET v = v + 1 WHERE id = (SELECT id FROM {table} ORDER BY random() LIMIT 1)",
        $"DELETE FROM {table} WHERE id = (SELECT id FROM {table} ORDER BY random() LIMIT 1)",
        $"SELECT op || ',' || id || ',' || v FROM {table}_history ORDER BY seq");

    public static ChangeWorkload MariaDb(string table) => new(
        table,
        $"""
        CREATE TABLE {table} (id int AUTO_INCREMENT PRIMARY KEY, v int NOT NULL);
        CREATE TABLE {table}_history (seq bigint AUTO_INCREMENT PRIMARY KEY, op varchar(10), id int, v int);
        CREATE TRIGGER {table}_insert AFTER INSERT ON {table} FOR EACH ROW INSERT INTO {table}_history (op, id, v) VALUES ('insert', NEW.id, NEW.v);
        CREATE TRIGGER {table}_update AFTER UPDATE ON {table} FOR EACH ROW INSERT INTO {table}_history (op, id, v) VALUES ('update', NEW.id, NEW.v);
        CREATE TRIGGER {table}_delete AFTER DELETE ON {table} FOR EACH ROW INSERT INTO {table}_history (op, id, v) VALUES ('delete', OLD.id, OLD.v);
        """,
        $"UPDATE {table} SET v = v + 1 ORDER BY rand() LIMIT 1",
        $"DELETE FROM {table} ORDER BY rand() LIMIT 1",
        $"SELECT CONCAT(op, ',', id, ',', v) FROM {table}_history ORDER BY seq");

    /// <summary>Writes one transaction after another, a pause of <paramref name="pauseMs"/> between two, until stopped; returns how many committed.</summary>
    public async Task<int> WriteAsync(DbConnection connection, (int From, int To) pauseMs, CancellationToken stop)
    {
        await using (connection)
        {
            var random = new Random(6);
            int transactions = 0;
            await connection.OpenAsync(CancellationToken.None);
            while (!stop.IsCancellationRequested)
            {
                await using (DbTransaction transaction = await connection.BeginTransactionAsync(CancellationToken.None))
                {
                    for (int i = random.Next(1, 4); i > 0; i--)
                    {
                        await using DbCommand command = connection.CreateCommand();
                        command.Transaction = transaction;
                        command.CommandText = random.Next(10) switch
                        {
                            < 5 => $"INSERT INTO {Table} (v) VALUES ({random.Next(1000)})",
                            < 8 => UpdateOneRow,
                            _ => DeleteOneRow,
                        };
                        await command.ExecuteNonQueryAsync(CancellationToken.None);
                    }

                    await transaction.CommitAsync(CancellationToken.None);
                }

                transactions++;
                await Task.Delay(random.Next(pauseMs.From, pauseMs.To), CancellationToken.None);
            }

            return transactions;
        }
    }

    /// <summary>The first column of each row of <paramref name="sql"/> on <paramref name="connection"/>, in order.</summary>
    public static async Task<List<string>> ReadLinesAsync(DbConnection connection, string sql)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return lines;
        }
    }
}
