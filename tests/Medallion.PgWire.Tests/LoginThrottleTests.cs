using System.Net;
using Medallion.PgWire;
using Medallion.PgWire.Internal;

namespace Medallion.PgWire.Tests;

/// <summary>The per-address count of failed logins behind the slower answers: its delays, its forgiveness and its bound.</summary>
public sealed class LoginThrottleTests
{
    private static readonly TimeSpan s_base = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_cap = TimeSpan.FromSeconds(5);

    private readonly ManualClock _clock = new();

    [Fact]
    public void Three_failures_are_free_then_the_delay_doubles_up_to_the_cap()
    {
        var throttle = new LoginThrottle(s_base, s_cap, _clock);
        IPAddress address = IPAddress.Parse("192.0.2.7");
        var delays = new List<TimeSpan>();
        for (int i = 0; i < 8; i++)
        {
            throttle.RecordFailure(address);
            delays.Add(throttle.DelayFor(address));
        }

        Assert.Equal([0, 0, 0, 500, 1000, 2000, 4000, 5000], delays.Select(d => d.TotalMilliseconds));
    }

    [Fact]
    public void An_address_is_forgiven_after_five_minutes_without_a_failure()
    {
        var throttle = new LoginThrottle(s_base, s_cap, _clock);
        IPAddress address = IPAddress.Parse("192.0.2.7");
        for (int i = 0; i < 5; i++)
        {
            throttle.RecordFailure(address);
        }

        _clock.Advance(LoginThrottle.ForgetAfter + TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, throttle.DelayFor(address));
        Assert.Equal(1, throttle.RecordFailure(address));
    }

    [Fact]
    public void Addresses_of_one_IPv6_slash_64_and_an_IPv4_mapped_address_count_as_one()
    {
        var throttle = new LoginThrottle(s_base, s_cap, _clock);
        throttle.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        throttle.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::9"));
        throttle.RecordFailure(IPAddress.Parse("192.0.2.7"));
        throttle.RecordFailure(IPAddress.Parse("::ffff:192.0.2.7"));

        Assert.Equal(2, throttle.TrackedAddresses);
        Assert.Equal(3, throttle.RecordFailure(IPAddress.Parse("2001:db8:1:2:abcd::1")));
        Assert.Equal(1, throttle.RecordFailure(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void The_table_never_holds_more_than_its_bound_and_drops_the_oldest_failure_first()
    {
        var throttle = new LoginThrottle(s_base, s_cap, _clock);
        IPAddress first = IPAddress.Parse("10.0.0.1");
        for (int i = 0; i < 4; i++)
        {
            throttle.RecordFailure(first);
        }

        for (int i = 0; i < LoginThrottle.MaxAddresses + 100; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            throttle.RecordFailure(new IPAddress(0x0B000000u + (uint)i));
        }

        Assert.Equal(LoginThrottle.MaxAddresses, throttle.TrackedAddresses);
        Assert.Equal(TimeSpan.Zero, throttle.DelayFor(first));
    }

    [Fact]
    public void A_zero_delay_turns_the_throttle_off_and_remembers_nothing()
    {
        var throttle = new LoginThrottle(TimeSpan.Zero, s_cap, _clock);
        for (int i = 0; i < 10; i++)
        {
            throttle.RecordFailure(IPAddress.Loopback);
        }

        Assert.Equal((0, TimeSpan.Zero), (throttle.TrackedAddresses, throttle.DelayFor(IPAddress.Loopback)));
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
