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

    /// <summary>The format option of commands that print documents rather than result sets (describe, runs, ...).</summary>
    public static Option<ReportFormat> ReportFormat() => new("--format", "-f")
    {
        Description = "Output format: table (for people) or json (for programs).",
        DefaultValueFactory = _ => Output.ReportFormat.Table,
    };
}
