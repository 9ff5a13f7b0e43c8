using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;

namespace Medallion.Cli.Commands;

/// <summary>
/// Twelve-factor configuration of a command: each option <c>--foo-bar</c> of an <see cref="EnvironmentCommand"/> may
/// also be given as the variable <c>MEDALLION_FOO_BAR</c>, derived from the option's name, so an option added to the
/// command gets its variable without a list to keep. The command line wins: a variable is read only for an option the
/// command line leaves out. A value is checked as the option's own (a number, a boolean as true, false, 1 or 0, a
/// duration or a choice by the option's validators) and a bad one is an error naming the variable.
/// </summary>
internal static class EnvironmentOptions
{
    /// <summary>What every variable's name starts with.</summary>
    public const string Prefix = "MEDALLION_";

    /// <summary>The variable of <paramref name="option"/>: <c>--http-port</c> is <c>MEDALLION_HTTP_PORT</c>.</summary>
    public static string VariableOf(Option option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return Prefix + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();
    }

    /// <summary>The variables of <paramref name="command"/>'s options, in the order of its options.</summary>
    public static IReadOnlyList<string> Variables(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return [.. command.Options.Where(Configurable).Select(VariableOf)];
    }

    /// <summary>
    /// <paramref name="parsed"/> (<paramref name="args"/> parsed with <paramref name="root"/>) as it stands, or, when the
    /// command it names is an <see cref="EnvironmentCommand"/> (and not its help) and <paramref name="environment"/> gives
    /// options the command line leaves out, the command line parsed again with them.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CommandLineInvalid"/> naming the variable whose value is wrong.</exception>
    public static ParseResult WithEnvironment(Command root, ParseResult parsed, IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        if (parsed.CommandResult.Command is not EnvironmentCommand command || parsed.Action != command.Action)
        {
            return parsed;
        }

        var fromEnvironment = new Dictionary<Option, string>();
        var tokens = new List<string>();
        foreach (Option option in command.Options.Where(Configurable))
        {
            string variable = VariableOf(option);
            if (parsed.GetResult(option) is { Implicit: false } || environment(variable) is not { Length: > 0 } value)
            {
                continue;
            }

            // One token, option=value, so a value starting with '-' is never taken for an option.
            tokens.Add(option.Name + "=" + Checked(option, variable, value));
            fromEnvironment.Add(option, variable);
        }

        if (tokens.Count == 0)
        {
            return parsed;
        }

        // Before a "--", after which every token is an argument.
        int end = args.ToList().IndexOf("--");
        List<string> withEnvironment = [.. args];
        withEnvironment.InsertRange(end < 0 ? args.Count : end, tokens);
        ParseResult reparsed = root.Parse(withEnvironment);
        string[] wrong = [.. reparsed.Errors
            .Select(error => (error.Message, Option: OptionOf(error.SymbolResult)))
            .Where(error => error.Option is not null && fromEnvironment.ContainsKey(error.Option))
            .Select(error => $"{fromEnvironment[error.Option!]}: {error.Message}")];
        return wrong.Length > 0 ? throw new MedallionException(ErrorCode.CommandLineInvalid, string.Join('\n', wrong)) : reparsed;
    }

    /// <summary>Options a variable may give: not the help or version switches, which only a person types.</summary>
    private static bool Configurable(Option option) => option is not (System.CommandLine.Help.HelpOption or VersionOption);

    /// <summary>The value as the parser takes it: a number checked, a boolean as true or false.</summary>
    private static string Checked(Option option, string variable, string value)
    {
        Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(bool))
        {
            return value.Trim().ToLowerInvariant() switch
            {
                "true" or "1" => "true",
                "false" or "0" => "false",
                _ => throw new MedallionException(ErrorCode.CommandLineInvalid, $"{variable}: '{value}' is not a boolean. Help: write true, false, 1 or 0 (or unset it).")
            };
        }

        if (type == typeof(int) && !int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"{variable}: '{value}' is not a number. Help: write a whole number, as for {option.Name} (or unset it).");
        }

        return type == typeof(int) ? value.Trim() : value;
    }

    private static Option? OptionOf(SymbolResult? result)
    {
        for (; result is not null; result = result.Parent)
        {
            if (result is OptionResult option)
            {
                return option.Option;
            }
        }

        return null;
    }
}
