using System;

namespace Medallion.PgWire.Internal;

/// <summary>The pause between failed accepts: 10 ms, doubling with each failure in a row, at most 1 s.</summary>
internal readonly record struct AcceptPause(int Failures, TimeSpan Delay)
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(1);

    public static AcceptPause Initial => default;

    public AcceptPause Next() => new(Failures + 1, Failures == 0 ? First : Delay * 2 > Longest ? Longest : Delay * 2);
}
