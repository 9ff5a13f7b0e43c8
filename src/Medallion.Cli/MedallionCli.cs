using System;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Commands;
using Medallion.Cli.Output;
using Medallion.DuckDb;

namespace Medallion.Cli;

/// <summary>The <c>medallion</c> command line: builds the command tree and maps failures to exit codes.</summary>
internal static class MedallionCli
{
    // Exit codes come from the error table (ErrorCodes): 1 for a failure of the input or the data, 2 for a command line
    // that is wrong, 70 for a bug in Medallion; a cancelled command exits 130, which no code has.

    /// <summary>
    /// Exit code for a failure of the data that a command reports itself, not as an error (a failed run, a failed check):
    /// the exit code the error table gives a failure of the input or the data.
    /// </summary>
    public const int Failure = 1;

    /// <summary>Exit code for a command cancelled by Ctrl+C or SIGTERM before its work was done (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    public static string Version => InformationalVersion.Split('+')[0];

    /// <summary>The commit the program was built from (SourceLink appends it to the informational version), or "unknown" for a build outside git.</summary>
    public static string Commit => InformationalVersion.Split('+') is [_, string commit, ..] && commit.Length > 0 ? commit : "unknown";

    /// <summary>When a release was built (build/release.sh passes it), or "unknown" for other builds.</summary>
    public static string BuildDate =>
        typeof(MedallionCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildDate")?.Value ?? "unknown";

    private static string InformationalVersion =>
        typeof(MedallionCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static RootCommand BuildRoot(TextWriter output, TextWriter error, TextReader? input = null)
    {
        var root = new RootCommand("Medallion: a lakehouse in one program (ingestion, Delta Lake tables, SQL models, quality, lineage, serving).");
        foreach (Option option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersionAction(output);
            }
        }

        root.Add(SqlCommand.Create(output, error, input));
        root.Add(DeltaCommands.Create(output, error));
        root.Add(InitCommand.Create(output));
        root.Add(ContractCommands.Create(output));
        root.Add(DiffCommand.Create(output));
        root.Add(CiCommand.Create(output));
        root.Add(LineageCommand.Create(output));
        root.Add(MonitorCommand.Create(output));
        root.Add(TestCommand.Create(output));
        root.Add(ServeCommand.Create(output, error));
        root.Add(ServerCommand.Create(output, error));
        root.Add(TokenCommand.Create(output, error));
        foreach (Command command in JobCommands.Create(output))
        {
            root.Add(command);
        }

        root.Add(RunCommand.Create(output));
        foreach (Command command in PlanCommands.Create(output))
        {
            root.Add(command);
        }

        foreach (Command command in EnvCommands.Create(output))
        {
            root.Add(command);
        }

        root.Add(UserCommand.Create(output, error, input));
        foreach (Command command in AccessCommands.Create(output))
        {
            root.Add(command);
        }

        root.Add(IngestCommand.Create(output, error));
        foreach (Command command in CatalogCommands.Create(output))
        {
            root.Add(command);
        }

        root.Add(CatalogCommand.Create(output));
        root.Add(QuickstartCommand.Create(output));
        foreach (Command command in PrivacyCommands.Create(output))
        {
            root.Add(command);
        }

        HelpText.Apply(root);
        return root;
    }

    /// <summary>
    /// How long a command has after Ctrl+C or SIGTERM before the process ends without it: a command with
    /// <c>--grace</c> bounds its own stop (the grace, then <see cref="ShutdownGrace.AfterCancel"/> for the cancelled
    /// work), and this comes after that, a last resort; other commands get 30 seconds.
    /// </summary>
    private static TimeSpan TerminationTimeout(ParseResult parsed)
    {
        TimeSpan fallback = TimeSpan.FromSeconds(30);
        if (parsed.CommandResult.Command.Options.FirstOrDefault(o => o.Name == ShutdownGrace.OptionName) is not Option<string> grace
            || !SqlEndpointArguments.TryParseDuration(parsed.GetValue(grace) ?? "", out TimeSpan granted))
        {
            return fallback;
        }

        // The server stops its listeners after the runs (a few seconds more): the slack covers that.
        return granted + ShutdownGrace.AfterCancel + fallback;
    }

    /// <summary>
    /// Runs a command line; <paramref name="input"/> replaces standard input for commands that read it (a password, the SQL
    /// shell's statements), and <paramref name="environment"/> the process's variables for the options a command takes from
    /// them (<see cref="EnvironmentOptions"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, TextReader? input = null, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        RootCommand root = BuildRoot(output, error, input);
        ParseResult parsed = root.Parse(args);
        try
        {
            // Parsed again only for a command that takes options from the environment and finds some there.
            parsed = EnvironmentOptions.WithEnvironment(root, parsed, args, environment ?? Environment.GetEnvironmentVariable);
            if (parsed.Errors.Count > 0 || CommandLineErrors.OptionTakenAsArgument(parsed) is not null)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, CommandLineErrors.Describe(parsed));
            }

            // Spans of runs go to an OTLP collector when the standard variables name one; disposing flushes them.
            using OpenTelemetry.Trace.TracerProvider? tracing = Server.Observability.Tracing.StartFromEnvironment();
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = TerminationTimeout(parsed),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return Cancelled;
        }
        catch (MedallionException exception) when (exception.Kind != ErrorKind.Internal)
        {
            (string message, string? help) = FlagHelp.Combine(exception.Message, FlagHelp.For(exception.Code, CommandLineErrors.CommandPath(parsed.CommandResult)));

            await error.WriteLineAsync($"Error {exception.CodeText}: {message}").ConfigureAwait(false);
            if (exception.Location is not null)
            {
                await error.WriteLineAsync($"  at {exception.Location}").ConfigureAwait(false);
            }

            if (help is not null)
            {
                await error.WriteLineAsync("Help: " + help).ConfigureAwait(false);
            }

            return ErrorCodes.Describe(exception.Code).ExitCode;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The machine said no (a missing file, a full disk, a permission): the message is the operating system's.
            await error.WriteLineAsync("Error: " + exception.Message).ConfigureAwait(false);
            return Failure;
        }
        catch (Exception exception)
        {
            // Every input error is a MedallionException with a code; anything else that gets here is a bug, and a
            // report is only useful with the type, the stack and the version.
            ErrorCode code = exception is MedallionException coded ? coded.Code : ErrorCode.InternalError;
            await error.WriteLineAsync($"Internal error {ErrorCodes.Format(code)}: {exception.GetType().FullName}: {exception.Message}").ConfigureAwait(false);
            await error.WriteLineAsync($"This is a bug in Medallion, not a problem with your input. Please report it with the command you ran, the output of 'medallion --version' ({Version}), and these details:").ConfigureAwait(false);
            await error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
            return ErrorCodes.Describe(code).ExitCode;
        }
    }

    private sealed class PrintVersionAction(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine($"medallion {Version} (DuckDB {DuckDbDatabase.LibraryVersion})");
            output.WriteLine($"commit: {Commit}");
            output.WriteLine($"built: {BuildDate}");
            // The runtime's platform: a release's own (linux-x64, osx-arm64, ...), or the machine's runtime's otherwise.
            output.WriteLine($"platform: {RuntimeInformation.RuntimeIdentifier}");
            return 0;
        }
    }
}
