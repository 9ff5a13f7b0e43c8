using System.CommandLine;

namespace Medallion.Cli.Commands;

/// <summary>A command whose options may also be given as environment variables (<see cref="EnvironmentOptions"/>).</summary>
internal sealed class EnvironmentCommand(string name, string description) : Command(name, description);
