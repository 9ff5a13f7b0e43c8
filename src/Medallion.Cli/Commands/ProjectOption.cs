using System.CommandLine;
using System.IO;

namespace Medallion.Cli.Commands;

/// <summary><c>--project &lt;dir&gt;</c>: the project directory (holding medallion.yml), the current folder by default.</summary>
internal static class ProjectOption
{
    public static Option<string> Create() => new("--project", "-p")
    {
        Description = "The project directory (holding medallion.yml). Default: the current folder.",
        DefaultValueFactory = _ => ".",
        HelpName = "dir",
    };

    public static string Resolve(ParseResult parsed, Option<string> option) => Path.GetFullPath(parsed.GetValue(option) ?? ".");
}
