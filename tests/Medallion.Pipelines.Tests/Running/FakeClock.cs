namespace Medallion.Pipelines.Tests.Running;

/// <summary>A clock fixed at one instant, for runs whose timestamps are asserted.</summary>
internal sealed class FakeClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
