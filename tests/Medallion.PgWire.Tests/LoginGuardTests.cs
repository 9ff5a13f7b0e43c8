using System.Net;
using Medallion.PgWire;
using Medallion.PgWire.Internal;

namespace Medallion.PgWire.Tests;

/// <summary>
/// The gate of password checks (issue #35, item 5): places per address and per account taken before the check, delays
/// that hold a failure's places, forgiveness, and its bounds.
/// </summary>
public sealed class LoginGuardTests
{
    private static readonly IPEndPoint s_a = new(IPAddress.Parse("192.0.2.7"), 40000);
    private static readonly IPEndPoint s_b = new(IPAddress.Parse("198.51.100.9"), 40000);

    private readonly ManualClock _clock = new();

    [Fact]
    public void Three_failures_are_free_then_the_delay_doubles_up_to_the_cap()
    {
        var guard = new LoginGuard(new LoginGuardOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(500), MaxFailedLoginDelay = TimeSpan.FromSeconds(5) }, _clock);
        IPAddress address = s_a.Address;

        IEnumerable<double> delays = Enumerable.Range(0, 8).Select(_ => guard.CountFailure(address, "ana").TotalMilliseconds).ToList();

        Assert.Equal([0, 0, 0, 500, 1000, 2000, 4000, 5000], delays);
    }

    [Fact]
    public void An_accounts_failures_from_many_addresses_slow_down_its_next_failure_from_a_new_one()
    {
        var guard = new LoginGuard(new LoginGuardOptions { FailedLoginDelay = TimeSpan.FromMilliseconds(500) }, _clock);
        for (int i = 0; i < 5; i++)
        {
            guard.CountFailure(new IPAddress(0x0A000000u + (uint)i), "ana");
        }

        Assert.Equal(TimeSpan.FromSeconds(2), guard.CountFailure(IPAddress.Parse("10.9.9.9"), "ana"));
        Assert.Equal(TimeSpan.Zero, guard.CountFailure(IPAddress.Parse("10.9.9.8"), "vic"));
    }

    [Fact]
    public void An_address_and_an_account_are_forgiven_five_minutes_after_their_last_failure()
    {
        var guard = new LoginGuard(new LoginGuardOptions(), _clock);
        for (int i = 0; i < 6; i++)
        {
            guard.CountFailure(s_a.Address, "ana");
        }

        _clock.Advance(LoginGuard.ForgetAfter + TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, guard.CountFailure(s_a.Address, "ana"));
    }

    [Fact]
    public void Addresses_of_one_IPv6_slash_64_and_an_IPv4_mapped_address_count_as_one()
    {
        Assert.Equal(LoginGuard.KeyOf(IPAddress.Parse("2001:db8:1:2::1")), LoginGuard.KeyOf(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.Equal(IPAddress.Parse("192.0.2.7"), LoginGuard.KeyOf(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.NotEqual(LoginGuard.KeyOf(IPAddress.Parse("2001:db8:1:2::1")), LoginGuard.KeyOf(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void The_guard_never_remembers_more_than_its_bound_of_addresses()
    {
        var guard = new LoginGuard(new LoginGuardOptions(), _clock);
        for (int i = 0; i < LoginGuard.MaxTracked + 100; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            guard.CountFailure(new IPAddress(0x0B000000u + (uint)i), "ana");
        }

        Assert.Equal(LoginGuard.MaxTracked, guard.Tracked.Addresses);
    }

    [Fact]
    public async Task Right_passwords_leave_nothing_to_remember()
    {
        var guard = new LoginGuard(new LoginGuardOptions(), _clock);
        for (int i = 0; i < 100; i++)
        {
            using LoginAttempt attempt = await guard.BeginAsync(LoginGuard.SqlSurface, "user" + i, new IPEndPoint(new IPAddress(0x0B000000u + (uint)i), 1));
            attempt.Succeeded();
        }

        Assert.Equal((0, 0), guard.Tracked);
    }

    [Fact]
    public async Task Checks_beyond_the_places_of_an_address_wait_until_one_ends()
    {
        var guard = new LoginGuard(new LoginGuardOptions { AttemptsPerAddress = 2 });
        LoginAttempt first = await guard.BeginAsync(LoginGuard.SqlSurface, "ana", s_a);
        using LoginAttempt second = await guard.BeginAsync(LoginGuard.SqlSurface, "vic", s_a);

        Task<LoginAttempt> third = guard.BeginAsync(LoginGuard.SqlSurface, "bob", s_a).AsTask();
        Assert.False(third.IsCompleted);
        first.Succeeded();

        using LoginAttempt granted = await third.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task One_address_cannot_take_every_place_of_an_account_so_its_owner_gets_in_from_another()
    {
        var guard = new LoginGuard(new LoginGuardOptions { AttemptsPerAddress = 2, AttemptsPerAccount = 4 });
        using LoginAttempt first = await guard.BeginAsync(LoginGuard.ApiSurface, "ana", s_a);
        using LoginAttempt second = await guard.BeginAsync(LoginGuard.ApiSurface, "ana", s_a);
        Task<LoginAttempt> third = guard.BeginAsync(LoginGuard.ApiSurface, "ana", s_a).AsTask();

        using LoginAttempt owner = await guard.BeginAsync(LoginGuard.ApiSurface, "ana", s_b).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(third.IsCompleted);
    }

    [Fact]
    public async Task A_failure_holds_its_places_for_its_delay_even_when_its_client_leaves()
    {
        var delay = TimeSpan.FromMilliseconds(600);
        var guard = new LoginGuard(new LoginGuardOptions { AttemptsPerAddress = 1, FailedLoginDelay = delay });
        for (int i = 0; i < LoginGuard.FreeFailures; i++)
        {
            using LoginAttempt free = await guard.BeginAsync(LoginGuard.WebSurface, "ana", s_a);
            await free.FailAsync("wrong");
        }

        LoginAttempt slowed = await guard.BeginAsync(LoginGuard.WebSurface, "ana", s_a);
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowed.FailAsync("wrong", gone.Token));
        var elapsed = System.Diagnostics.Stopwatch.StartNew();

        using LoginAttempt next = await guard.BeginAsync(LoginGuard.WebSurface, "ana", s_a);

        Assert.True(elapsed.Elapsed >= delay - TimeSpan.FromMilliseconds(50), $"the next check began after {elapsed.Elapsed}");
    }

    [Fact]
    public async Task A_check_that_finds_no_place_in_time_is_refused_and_reported_as_throttled()
    {
        var failures = new List<LoginFailure>();
        var guard = new LoginGuard(new LoginGuardOptions
        {
            AttemptsPerAddress = 1,
            MaxWait = TimeSpan.FromMilliseconds(100),
            Failed = (failure, _) =>
            {
                lock (failures)
                {
                    failures.Add(failure);
                }

                return ValueTask.CompletedTask;
            },
        });
        using LoginAttempt holder = await guard.BeginAsync(LoginGuard.SqlSurface, "ana", s_a);

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => guard.BeginAsync(LoginGuard.SqlSurface, "vic", s_a).AsTask());

        Assert.Equal(ErrorCode.LoginThrottled, refused.Code);
        Assert.Equal("too many logins in progress from 192.0.2.7 or for user \"vic\"; try again in a few seconds", refused.Message);
        LoginFailure failure = Assert.Single(failures);
        Assert.Equal(("vic", "192.0.2.7:40000", "sql", true), (failure.Account, failure.Client?.ToString(), failure.Surface, failure.Throttled));
        holder.Succeeded();
        using LoginAttempt after = await guard.BeginAsync(LoginGuard.SqlSurface, "vic", s_a).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Failed_accepts_pause_10_ms_doubling_up_to_1_s()
    {
        AcceptPause pause = AcceptPause.Initial;
        var delays = new List<double>();
        for (int i = 0; i < 9; i++)
        {
            pause = pause.Next();
            delays.Add(pause.Delay.TotalMilliseconds);
        }

        Assert.Equal([10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);
        Assert.Equal(9, pause.Failures);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
