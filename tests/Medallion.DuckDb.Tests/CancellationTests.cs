using System.Diagnostics;

namespace Medallion.DuckDb.Tests;

/// <summary>Stopping a running query: a token, a timeout, an interrupt from another thread.</summary>
public sealed class CancellationTests
{
    /// <summary>Runs for minutes unless interrupted.</summary>
    private const string LongQuery = "SELECT count(*) FROM range(1000000000000) a(i) WHERE i % 7 = 3";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancelling_a_long_query_throws_operation_canceled_and_the_connection_stays_usable(bool streamResults)
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = LongQuery;
        command.StreamResults = streamResults;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Stopwatch elapsed = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteScalarAsync(cancellation.Token));

        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {elapsed.Elapsed}");
        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Cancelling_while_reading_an_endless_stream_stops_the_reader()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT i FROM range(1000000000000) a(i)";
        using var cancellation = new CancellationTokenSource();
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellation.Token);
        long rows = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            cancellation.CancelAfter(TimeSpan.FromMilliseconds(300));
            while (await reader.ReadAsync(cancellation.Token))
            {
                rows++;
            }
        });

        Assert.True(rows > 0);
        await reader.DisposeAsync();
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Read_async_with_a_pre_cancelled_token_fails_without_reading()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await using DuckDbDataReader reader = await command.ExecuteReaderAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadAsync(new CancellationToken(canceled: true)));
        Assert.True(await reader.ReadAsync());
    }

    [Fact]
    public async Task Cancelling_just_as_the_query_starts_still_stops_it()
    {
        await using DuckDbConnection connection = Db.Open();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            await using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = LongQuery;
            using var cancellation = new CancellationTokenSource();
            Task<object?> running = command.ExecuteScalarAsync(cancellation.Token);
            cancellation.CancelAfter(attempt % 5);
            Task finished = await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(60)));

            Assert.Same(running, finished);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task A_pre_cancelled_token_fails_at_once_without_running_the_query()
    {
        await using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i INTEGER)");
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO t VALUES (1)";

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteNonQueryAsync(new CancellationToken(canceled: true)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteReaderAsync(new CancellationToken(canceled: true)));

        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Command_timeout_gives_a_duckdb_exception_wrapping_a_timeout()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = LongQuery;
        command.CommandTimeout = 1;

        var error = Assert.Throws<DuckDbException>(() => command.ExecuteScalar());

        Assert.Equal("The query ran longer than the command timeout of 1 s and was stopped. Help: raise CommandTimeout, or 0 for no limit.", error.Message);
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal(DuckDbErrorType.Interrupt, error.ErrorType);
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Command_timeout_applies_to_asynchronous_execution_too()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = LongQuery;
        command.CommandTimeout = 1;

        var error = await Assert.ThrowsAsync<DuckDbException>(() => command.ExecuteScalarAsync());

        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task Interrupt_from_another_thread_stops_the_query_with_an_interrupt_error()
    {
        using DuckDbConnection connection = OpenWithProgress();
        Task<object?> running = Task.Run(() => connection.Scalar(LongQuery));
        try
        {
            await WaitUntilRunningAsync(connection, running);

            connection.Interrupt();

            var error = await Assert.ThrowsAsync<DuckDbException>(() => running.WaitAsync(Bound));
            Assert.Equal(DuckDbErrorType.Interrupt, error.ErrorType);
            Assert.Equal("INTERRUPT Error: Interrupted!", error.Message);
        }
        finally
        {
            await StopAsync(connection, running);
        }

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Command_cancel_from_another_thread_stops_its_running_query_with_operation_canceled_and_the_connection_stays_usable(bool streamResults)
    {
        using DuckDbConnection connection = OpenWithProgress();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = LongQuery;
        command.StreamResults = streamResults;
        Task<object?> running = Task.Run(command.ExecuteScalar);
        try
        {
            await WaitUntilRunningAsync(connection, running);

            await Task.Run(command.Cancel);

            var error = await Assert.ThrowsAsync<OperationCanceledException>(() => running.WaitAsync(Bound));
            Assert.Equal(DuckDbErrorType.Interrupt, Assert.IsType<DuckDbException>(error.InnerException).ErrorType);
        }
        finally
        {
            await StopAsync(connection, running);
        }

        command.CommandText = "SELECT 1";
        Assert.Equal(1, command.ExecuteScalar());
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Command_cancel_racing_the_start_of_its_query_stops_it_with_operation_canceled()
    {
        using DuckDbConnection connection = Db.Open();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = LongQuery;
            Task<object?> running = Task.Run(command.ExecuteScalar);
            try
            {
                await Task.Delay(attempt % 5);
                command.Cancel();
                // A cancel that came before the command started had nothing to cancel (as in every ADO.NET provider):
                // cancel again until it lands. Whenever it lands, even as the statement starts, it is a cancellation.
                for (int again = 0; again < 600 && !running.IsCompleted; again++)
                {
                    await Task.WhenAny(running, Task.Delay(100));
                    command.Cancel();
                }

                await Assert.ThrowsAsync<OperationCanceledException>(() => running.WaitAsync(Bound));
            }
            finally
            {
                await StopAsync(connection, running);
            }
        }

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public void Command_cancel_after_its_command_finished_does_nothing_and_the_next_commands_run()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t AS SELECT 42 AS answer";
        command.ExecuteNonQuery();

        command.Cancel();
        command.Cancel();

        command.CommandText = "SELECT answer FROM t";
        Assert.Equal(42, command.ExecuteScalar());
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Command_cancel_after_its_reader_read_every_row_does_nothing_and_the_next_command_runs()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT i FROM range(3) t(i)";
        using (DuckDbDataReader reader = command.ExecuteReader())
        {
            long rows = 0;
            while (reader.Read())
            {
                rows++;
            }

            command.Cancel();

            Assert.Equal(3, rows);
            Assert.False(reader.Read());
            Assert.False(reader.NextResult());
        }

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Command_cancel_while_a_streamed_result_is_read_stops_the_next_read_with_operation_canceled()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT i FROM range(1000000000000) a(i)";
        using (DuckDbDataReader reader = command.ExecuteReader())
        {
            long rows = 0;
            for (; rows < 10 && reader.Read(); rows++)
            {
            }

            await Task.Run(command.Cancel);

            // The rows of the chunk in hand may still be read; the next chunk is not computed.
            Assert.Throws<OperationCanceledException>(() =>
            {
                while (reader.Read() && rows < 10_000_000)
                {
                    rows++;
                }
            });
            Assert.InRange(rows, 10, 10_000_000 - 1);
        }

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_token_cancelled_while_a_command_runs_throws_operation_canceled_and_writes_nothing(bool reader)
    {
        await using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (n BIGINT)");
        await using DuckDbCommand command = connection.CreateCommand();
        // Aggregates for minutes and only then inserts its one row.
        command.CommandText = "INSERT INTO t " + LongQuery;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Task running = reader ? command.ExecuteReaderAsync(cancellation.Token) : command.ExecuteNonQueryAsync(cancellation.Token);
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Bound));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Interrupting_an_idle_or_closed_connection_is_harmless()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Interrupt();
        Assert.Equal(1, connection.Scalar("SELECT 1"));
        connection.Close();
        connection.Interrupt();
    }

    [Fact]
    public async Task Query_progress_is_readable_while_a_query_runs()
    {
        using DuckDbConnection connection = Db.Open();
        // Progress is recorded by the thread that waits for the query; with one thread that thread runs
        // every task, so it updates progress continually even on a loaded machine.
        connection.Execute("SET threads = 1; SET enable_progress_bar = true; SET enable_progress_bar_print = false");
        Task<object?> running = Task.Run(() => connection.Scalar(LongQuery));
        try
        {
            DuckDbQueryProgress progress = connection.GetQueryProgress();
            for (int attempt = 0; attempt < 1500 && progress.TotalRowsToProcess == 0; attempt++)
            {
                await Task.Delay(20);
                progress = connection.GetQueryProgress();
            }

            Assert.InRange(progress.Percentage, 0, 100);
            Assert.True(progress.TotalRowsToProcess >= 1_000_000_000_000UL, $"total rows: {progress.TotalRowsToProcess}");
        }
        finally
        {
            connection.Interrupt();
            await Assert.ThrowsAsync<DuckDbException>(() => running);
        }
    }

    [Fact]
    public void Query_progress_of_an_idle_connection_is_unknown()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Equal(-1, connection.GetQueryProgress().Percentage);
    }

    /// <summary>Longer than any cancellation takes, even on a busy machine; a test never waits past it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>A connection that reports the progress of its query, so a test can tell it is running.</summary>
    private static DuckDbConnection OpenWithProgress()
    {
        DuckDbConnection connection = Db.Open();
        // With one thread, the thread waiting for the query runs it and records its progress as it goes.
        connection.Execute("SET threads = 1; SET enable_progress_bar = true; SET enable_progress_bar_print = false");
        return connection;
    }

    /// <summary>
    /// Waits (at most <see cref="Bound"/>) until the connection reports the progress of its query: an interrupt sent before
    /// a statement starts is forgotten by DuckDB, so a test that interrupts too early would wait for the whole query.
    /// </summary>
    private static async Task WaitUntilRunningAsync(DuckDbConnection connection, Task running)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (connection.GetQueryProgress().TotalRowsToProcess == 0)
        {
            Assert.False(running.IsCompleted, "the query ended before it was seen running");
            Assert.True(waited.Elapsed < Bound, $"the query was not seen running within {Bound}");
            await Task.Delay(10);
        }
    }

    /// <summary>Interrupts the connection until <paramref name="running"/> ends (at most <see cref="Bound"/>), so a failed test leaves no query behind.</summary>
    private static async Task StopAsync(DuckDbConnection connection, Task running)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (!running.IsCompleted && waited.Elapsed < Bound)
        {
            connection.Interrupt();
            await Task.WhenAny(running, Task.Delay(100));
        }
    }
}
