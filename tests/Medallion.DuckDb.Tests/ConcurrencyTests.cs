namespace Medallion.DuckDb.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public void Many_threads_each_with_a_connection_share_one_in_memory_database()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using (DuckDbConnection setup = database.CreateConnection())
        {
            setup.Execute("CREATE TABLE events (thread INTEGER, i INTEGER)");
        }

        const int Threads = 8, RowsPerThread = 2_000;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            using DuckDbConnection connection = database.CreateConnection();
            using (DuckDbAppender appender = connection.CreateAppender("events"))
            {
                for (int i = 0; i < RowsPerThread; i++)
                {
                    appender.BeginRow().Append(thread).Append(i).EndRow();
                }
            }

            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = "INSERT INTO events VALUES ($1, -1)";
            command.Parameters.Add(thread);
            command.ExecuteNonQuery();
            Assert.Equal((long)RowsPerThread + 1, connection.Scalar($"SELECT count(*) FROM events WHERE thread = {thread}"));
        });

        using DuckDbConnection check = database.CreateConnection();
        Assert.Equal((long)Threads * (RowsPerThread + 1), check.Scalar("SELECT count(*) FROM events"));
        Assert.Equal((long)Threads, check.Scalar("SELECT count(DISTINCT thread) FROM events"));
    }

    [Fact]
    public async Task Concurrent_readers_on_separate_connections_each_see_their_own_results()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using (DuckDbConnection setup = database.CreateConnection())
        {
            setup.Execute("CREATE TABLE numbers AS SELECT i FROM range(200000) t(i)");
        }

        long[] sums = await Task.WhenAll(Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            await using DuckDbConnection connection = database.CreateConnection();
            await using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = "SELECT i FROM numbers WHERE i % 6 = $1";
            command.Parameters.Add(worker);
            await using DuckDbDataReader reader = await command.ExecuteReaderAsync();
            long sum = 0;
            while (await reader.ReadAsync())
            {
                sum += reader.GetInt64(0);
            }

            return sum;
        })));

        Assert.Equal(199_999L * 200_000 / 2, sums.Sum());
        Assert.Equal(Enumerable.Range(0, 6).Select(w => Enumerable.Range(0, 200000).Where(i => i % 6 == w).Sum(i => (long)i)), sums);
    }

    [Fact]
    public void Private_in_memory_connections_do_not_see_each_others_tables()
    {
        using DuckDbConnection first = Db.Open();
        using DuckDbConnection second = Db.Open();
        first.Execute("CREATE TABLE mine (i INTEGER)");

        var error = Assert.Throws<DuckDbException>(() => second.Scalar("SELECT count(*) FROM mine"));

        Assert.Equal(DuckDbErrorType.Catalog, error.ErrorType);
    }
}
