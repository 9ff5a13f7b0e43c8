using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace Medallion;

/// <summary>
/// Named points between the steps of a write (a Delta commit, a checkpoint, a catalog transaction) where a crash test
/// can SIGKILL the process, so that each test kills a writer at one exact phase rather than "sometime during" it.
/// </summary>
/// <remarks>
/// <para>Armed only by the environment variable <c>MEDALLION_TEST_KILL_AT</c>, read once when the process starts:
/// <c>&lt;point&gt;</c> kills the process the first time it reaches that point, <c>&lt;point&gt;@&lt;n&gt;</c> the
/// n-th time. Unarmed (always, outside the crash tests), <see cref="Reach"/> costs one null test of a static read-only
/// field.</para>
/// <para>The kill is <c>SIGKILL</c> of the process itself: no <c>finally</c>, no flush, no disposal runs, exactly as
/// when the kernel's OOM killer or <c>kill -9</c> ends it. Each point is named where it is reached; the crash tests that
/// arm them (<c>CommitPhaseKillTests</c>, <c>RunKillPhaseTests</c>) say what must hold after a kill at each.</para>
/// </remarks>
public static class CrashPoint
{
    /// <summary>The environment variable that arms one point: <c>&lt;point&gt;</c> or <c>&lt;point&gt;@&lt;n&gt;</c>.</summary>
    public const string EnvironmentVariable = "MEDALLION_TEST_KILL_AT";

    private static readonly (string? Point, int Occurrence) s_armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static int s_reached;

    /// <summary>Kills the process (SIGKILL) when <paramref name="point"/> is the armed point and this is its armed occurrence; otherwise does nothing.</summary>
    /// <param name="point">The point's name, <c>&lt;layer&gt;.&lt;phase&gt;</c> (e.g. <c>delta.commit.before-put</c>).</param>
    public static void Reach(string point)
    {
        if (s_armed.Point is null || !string.Equals(s_armed.Point, point, StringComparison.Ordinal))
        {
            return;
        }

        if (Interlocked.Increment(ref s_reached) == s_armed.Occurrence)
        {
            // Process.Kill sends SIGKILL on Unix (TerminateProcess on Windows): nothing after this line runs.
            using Process self = Process.GetCurrentProcess();
            self.Kill();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private static (string? Point, int Occurrence) Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, 0);
        }

        int at = value.LastIndexOf('@');
        return at > 0 && int.TryParse(value.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? (value[..at], n)
            : (value, 1);
    }
}
