using System.CommandLine;
using Medallion.Cli.Output;

namespace Medallion.Cli.Commands;

/// <summary>Options several commands share, so they are spelled the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<OutputFormat> Format(OutputFormat defaultFormat = OutputFormat.Table) => new("--format", "-f")
    {
        Description = "Output format: table, csv, json or markdown.",
        DefaultValueFactory = _ => defaultFormat,
    };
}
