using System.CommandLine;
using Medallion.Cli;
using Medallion.Cli.Commands;

namespace Medallion.Deploy.Tests;

/// <summary>What <c>medallion server</c> makes of variables: which it reads, and whether their values read.</summary>
internal static class ServerVariables
{
    /// <summary>Whether the server reads <paramref name="name"/>: one of its own, or of a standard family (AWS_, AZURE_STORAGE_, OTEL_).</summary>
    public static bool Reads(string name) =>
        ServerCommand.EnvironmentVariables.Contains(name) || ServerCommand.EnvironmentPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The errors of <c>medallion server</c> given <paramref name="variables"/> and no option; empty when every value reads.</summary>
    public static IReadOnlyList<string> Errors(IReadOnlyDictionary<string, string> variables)
    {
        try
        {
            System.CommandLine.RootCommand root = MedallionCli.BuildRoot(TextWriter.Null, TextWriter.Null);
            ParseResult parsed = EnvironmentOptions.WithEnvironment(root, root.Parse(["server"]), ["server"], name => variables.GetValueOrDefault(name));
            return [.. parsed.Errors.Select(error => error.Message)];
        }
        catch (MedallionException exception)
        {
            return [exception.Message];
        }
    }

    /// <summary>How long the server lets running work go on after SIGTERM, cancellation included, given its variables.</summary>
    public static TimeSpan StopTime(IReadOnlyDictionary<string, string> variables)
    {
        string grace = variables.GetValueOrDefault("MEDALLION_GRACE", "30s");
        Assert.True(SqlEndpointArguments.TryParseDuration(grace, out TimeSpan duration), $"MEDALLION_GRACE '{grace}' is not a duration");
        return duration + ShutdownGrace.AfterCancel;
    }
}
