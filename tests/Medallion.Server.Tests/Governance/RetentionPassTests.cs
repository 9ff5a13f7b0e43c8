using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Platform;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Governance;

/// <summary>A model's <c>retention</c> enforced by the running server's daily pass, not only by <c>medallion retention</c> by hand.</summary>
public sealed class RetentionPassTests
{
    [Fact]
    public async Task The_server_deletes_the_rows_past_a_models_retention_in_its_daily_pass()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using ServedProject served = await ServedProject.StartAsync(
            o => o with { Time = time },
            later: files => files.Write("models/silver/events.sql", """
                /* ---
                retention: {column: created_at, keep: 2y}
                --- */
                SELECT * FROM (VALUES (1, TIMESTAMP '2024-11-24 00:00'), (2, TIMESTAMP '2026-06-01'), (3, TIMESTAMP '2026-11-01')) AS v(id, created_at)
                """));
        // Built by another process while the server runs. Row 1 is half a day inside the two years kept now, so the pass
        // at the server's start deletes nothing whether or not it sees the table, and falls out a day later: only the
        // next day's pass can delete it.
        RunResult built = await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(served.Directory), new RunOptions());
        Assert.True(built.Succeeded, string.Join("; ", built.Steps.Select(s => s.Error)));
        Assert.Equal(3L, await EventRowsAsync(served.Directory));

        time.Advance(TimeSpan.FromDays(1));

        // On a busy machine the start pass may still be running when the clock jumps; its wait for the next pass then
        // starts after the jump and would never end on a fake clock. Moving the clock on by one interval per look lets
        // that wait end too; the rows kept are two years inside the retention, so the extra hours delete nothing more.
        long? rows = 3;
        for (int attempt = 0; attempt < 100 && rows != 2; attempt++)
        {
            await Task.Delay(200);
            rows = await EventRowsAsync(served.Directory);
            time.Advance(served.Server.Housekeeping.Interval);
        }

        Assert.Equal(2L, rows);
    }

    private static async Task<long?> EventRowsAsync(string project)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(project);
        return (await lakehouse.ListTablesAsync("silver")).Single(t => t.Name.Name == "events").Rows;
    }
}
