using System.Globalization;
using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// A cron job in a zone whose offset changes for good (as when a country drops daylight saving) at a minute of the test:
/// the zone's rules, as .NET reads them from zoneinfo, lead the cron library to answer a time before the one asked,
/// and a schedule that walked back planned the same fire times for ever: a server on such a project never started.
/// </summary>
public sealed class ZoneChangeScheduleTests : IDisposable
{
    private const string Zone = "Atlantic/Reykjavik";
    private readonly ServerProject _project = new($"jobs:\n  - name: often\n    select: silver.one\n    schedule: \"*/2 * * * *\"\n    timezone: {Zone}\n");
    private readonly TestZoneInfo _zoneInfo;

    public ZoneChangeScheduleTests()
    {
        _project.Write("models/silver/one.sql", "SELECT 1 AS n");
        DateTime change = DateTime.UtcNow.AddMinutes(1);
        _zoneInfo = new TestZoneInfo(Zone, string.Create(CultureInfo.InvariantCulture, $"Zone {Zone} 0:00 - KST {change.Year} {change:MMM} {change.Day} {change:HH:mm}u\n 1:00 - KDT\n"));
    }

    public void Dispose()
    {
        _zoneInfo.Dispose();
        _project.Dispose();
    }

    [Fact]
    public async Task A_server_starts_and_lists_the_next_fire_times_of_a_job_in_a_zone_whose_offset_changes_for_good_going_forward()
    {
        using ServerProcess server = await ServerProcess.StartWithEnvironmentAsync(
            _project.Directory, new Dictionary<string, string> { ["TZDIR"] = _zoneInfo.Directory }, "--http-port", "0", "--pg-port", "0", "--trust-loopback");
        JsonElement job = (await server.GetAsync("api/jobs")).EnumerateArray().Single();
        await server.TerminateAsync();

        List<DateTimeOffset> next = [.. job.GetProperty("next_runs").EnumerateArray().Select(t => t.GetDateTimeOffset())];
        Assert.True(next.Count >= 2, job.ToString());
        Assert.True(next.Zip(next.Skip(1)).All(p => p.Second > p.First), string.Join(", ", next.Select(t => t.ToString("O", CultureInfo.InvariantCulture))));
    }
}
