using Medallion.DuckDb;
using Microsoft.Extensions.Logging;

namespace Medallion.Engine.Tests.Writing;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Concurrent_appenders_all_commit_and_the_table_has_every_row_once()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("writer integer, n integer"));
        const int Writers = 4, Commits = 8;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            using DuckDbDatabase db = DuckDbDatabase.Open();
            using DuckDbConnection connection = db.CreateConnection();
            var writer = new DeltaWriter(connection);
            for (int n = 0; n < Commits; n++)
            {
                await writer.WriteAsync(path, $"SELECT {w} AS writer, {n} AS n");
            }
        })));

        List<string> rows = await _f.ReadAsync(path);
        Assert.True(rows.Count == Writers * Commits, $"{rows.Count} rows in {path}");
        Assert.Equal(Writers * Commits, rows.Distinct().Count());
        Assert.Equal(Writers * Commits, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task A_commit_that_lost_its_version_to_another_writer_is_retried_and_logged_as_a_warning()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("n integer"));
        var log = new RecordingLog();
        var writer = new DeltaWriter(_f.Connection) { LoggerFactory = log };
        DeltaStagedWrite staged = await writer.BeginWriteAsync(path);
        await staged.AddAsync("SELECT 1 AS n");
        await _f.Writer.WriteAsync(path, "SELECT 2 AS n");

        DeltaOperationResult result = await staged.CommitAsync();

        Assert.Equal(2, result.Version);
        LoggedEvent retry = Assert.Single(log.Events, e => e.Level >= LogLevel.Warning);
        Assert.Equal((LogLevel.Warning, 12001), (retry.Level, retry.EventId));
        Assert.Equal($"WRITE on {_f.Open(path).Location}: version 1 was committed by another writer first; its commits are checked and the commit is tried again as version 2 (attempt 2 of 25)", retry.Message);
        Assert.Equal(["1", "2"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task A_commit_its_fence_refuses_writes_nothing_and_fails_with_the_fences_error()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("n integer"));
        await _f.Writer.WriteAsync(path, "SELECT 1 AS n");
        var fenced = new DeltaWriter(_f.Connection)
        {
            CommitFence = _ => throw new MedallionException(ErrorCode.RunNoLongerHeld, "this server no longer holds the run"),
        };

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => fenced.WriteAsync(path, "SELECT 2 AS n"));

        Assert.Equal(ErrorCode.RunNoLongerHeld, refused.Code);
        Assert.Equal(1, (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(["1"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task A_commit_its_fence_lets_through_is_written_as_any_other()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("n integer"));
        int checks = 0;
        var fenced = new DeltaWriter(_f.Connection) { CommitFence = _ => { checks++; return ValueTask.CompletedTask; } };

        DeltaOperationResult result = await fenced.WriteAsync(path, "SELECT 2 AS n");

        Assert.Equal((1L, 1), (result.Version, checks));
    }

    [Fact]
    public async Task Concurrent_idempotent_writers_of_the_same_batch_commit_it_once()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id integer"));

        DeltaOperationResult[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using DuckDbDatabase db = DuckDbDatabase.Open();
            using DuckDbConnection connection = db.CreateConnection();
            return await new DeltaWriter(connection).WriteAsync(path, "SELECT 42 AS id", new DeltaWriteOptions { ApplicationId = "batch", ApplicationVersion = 1 });
        })));

        Assert.Single(results, r => r.Committed);
        Assert.Equal(["42"], await _f.ReadAsync(path));
    }
}
