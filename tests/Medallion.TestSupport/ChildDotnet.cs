using System.Diagnostics;

namespace Medallion.TestSupport;

/// <summary>How tests start .NET processes of their own (the CLI, a server, a writer host).</summary>
public static class ChildDotnet
{
    /// <summary>
    /// Starts the child without the runtime's debugger pipes and diagnostics socket. Every .NET process makes them in the
    /// temp folder (<c>clr-debug-pipe-&lt;pid&gt;-*</c>, <c>dotnet-diagnostic-&lt;pid&gt;-*</c>) and removes them when it exits,
    /// so each child a test kills (a crash test, a timeout) would leave three of them behind. No test attaches to a child.
    /// </summary>
    public static ProcessStartInfo WithoutDiagnosticFiles(this ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.Environment["DOTNET_EnableDiagnostics_IPC"] = "0";
        start.Environment["DOTNET_EnableDiagnostics_Debugger"] = "0";
        return start;
    }
}
