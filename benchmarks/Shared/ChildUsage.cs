using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Medallion.Benchmarks;

/// <summary>
/// What the kernel accounts to this process's children that have exited and been waited for (<c>getrusage</c> with
/// <c>RUSAGE_CHILDREN</c>): their CPU time and the largest peak resident set among them. With one child, its own.
/// </summary>
internal static partial class ChildUsage
{
    private const int Children = -1;

    public static (double CpuSeconds, long PeakKb) Read()
    {
        if (GetResourceUsage(Children, out ResourceUsage usage) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        double cpu = usage.UserSeconds + (usage.UserMicroseconds / 1e6) + usage.SystemSeconds + (usage.SystemMicroseconds / 1e6);
        return (cpu, usage.MaxResidentKb);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetResourceUsage(int who, out ResourceUsage usage);

    /// <summary>The head of Linux x86-64 <c>struct rusage</c> (two <c>timeval</c>s, then <c>ru_maxrss</c> in kB); 144 bytes in all.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResidentKb;
    }
}
