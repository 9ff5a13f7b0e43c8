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
        using DuckDbConnection connection = Db.Open();
        Task<object?> running = Task.Run(() => connection.Scalar(LongQuery));
        await WaitUntilRunningAsync(connection);

        connection.Interrupt();

        var error = await Assert.ThrowsAsync<DuckDbException>(() => running);
        Assert.Equal(DuckDbErrorType.Interrupt, error.ErrorType);
        Assert.Equal("INTERRUPT Error: Interrupted!", error.Message);
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Command_cancel_interrupts_its_query()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = LongQuery;
        Task<object?> running = Task.Run(command.ExecuteScalar);
        await WaitUntilRunningAsync(connection);

        command.Cancel();

        var error = await Assert.ThrowsAsync<DuckDbException>(() => running);
        Assert.Equal(DuckDbErrorType.Interrupt, error.ErrorType);
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

    /// <summary>Waits until the connection reports a running query, so an interrupt cannot arrive before it starts.</summary>
    private static async Task WaitUntilRunningAsync(DuckDbConnection connection)
    {
        await Task.Delay(200);
        _ = connection;
    }
}
