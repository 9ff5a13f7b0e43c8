using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Linq;

namespace Medallion.Cli.Output;

/// <summary>
/// What is wrong with a command line, in our words: a word that is no command or option is named as such, with the
/// closest one it may have meant (the parser itself would say "Required command was not provided" first, and suggest
/// nothing unless it prints its own error page).
/// </summary>
internal static class CommandLineErrors
{
    /// <summary>The message for <paramref name="parsed"/>'s errors, ending with the help line for the command it reached.</summary>
    public static string Describe(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        string path = CommandPath(parsed.CommandResult);
        string help = $"\nHelp: medallion {(path.Length == 0 ? string.Empty : path + " ")}--help";
        IReadOnlyList<string> unmatched = parsed.UnmatchedTokens;

        // A word where a subcommand goes: every other error (the missing subcommand, its arguments) follows from it.
        if (command.Subcommands.Count > 0 && unmatched.FirstOrDefault(t => !t.StartsWith('-')) is { } word && command.Arguments.Count == 0)
        {
            string parent = path.Length == 0 ? string.Empty : path + " ";
            string? meant = Closest(word, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
            return $"Unknown command '{parent}{word}'.{(meant is null ? string.Empty : $" Did you mean '{parent}{meant}'?")}{help}";
        }

        // An unknown option where an argument goes is taken for the argument ("describe --formt json" reads '--formt' as
        // the table, and then 'json' is the word too many): it is the error, and the others follow from it.
        if (OptionTakenAsArgument(parsed) is { } misread)
        {
            return UnknownOption(misread, parsed) + help;
        }

        var lines = new List<string>();
        foreach (ParseError error in parsed.Errors)
        {
            string? option = unmatched.FirstOrDefault(t => t.StartsWith('-') && error.Message.Contains($"'{t}'", System.StringComparison.Ordinal));
            lines.Add(option is null ? error.Message : UnknownOption(option, parsed));
        }

        return string.Join('\n', lines.Distinct()) + help;
    }

    /// <summary>
    /// A word written as an option (<c>--formt</c>) that the parser, knowing no such option, gave to one of the command's
    /// arguments; null when there is none. A value that starts with <c>--</c> on purpose is given after <c>--</c>, where
    /// nothing is read as an option.
    /// </summary>
    public static string? OptionTakenAsArgument(ParseResult parsed)
    {
        System.ArgumentNullException.ThrowIfNull(parsed);
        int endOfOptions = parsed.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        HashSet<Token> literal = endOfOptions < 0 ? [] : [.. parsed.Tokens.Skip(endOfOptions + 1)];
        return parsed.CommandResult.Children.OfType<ArgumentResult>()
            .SelectMany(argument => argument.Tokens)
            .FirstOrDefault(token => !literal.Contains(token) && token.Value.Length > 2 && token.Value.StartsWith("--", System.StringComparison.Ordinal) && char.IsAsciiLetter(token.Value[2]))?.Value;
    }

    private static string UnknownOption(string option, ParseResult parsed)
    {
        string? meant = Closest(option, parsed.CommandResult.Command.Options.Concat(AncestorOptions(parsed.CommandResult)).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)));
        return $"Unknown option '{option}'.{(meant is null ? string.Empty : $" Did you mean '{meant}'?")}";
    }

    /// <summary>The subcommand that was reached, without the program's name: <c>delta vacuum</c>, <c>run</c>, or empty for the root.</summary>
    public static string CommandPath(CommandResult reached)
    {
        var names = new List<string>();
        for (CommandResult? command = reached; command?.Parent is not null; command = command.Parent as CommandResult)
        {
            names.Insert(0, command.Command.Name);
        }

        return string.Join(' ', names);
    }

    /// <summary>The one of <paramref name="names"/> that alone starts with what was typed, else the one it is a typo of, else null.</summary>
    private static string? Closest(string typed, IEnumerable<string> names)
    {
        List<string> candidates = [.. names.Distinct()];

        // A start that one name alone has ("lin") says more than a typo of a short word: "lin" is two edits from "pii".
        List<string> started = typed.TrimStart('-').Length > 0 ? [.. candidates.Where(n => n.StartsWith(typed, System.StringComparison.OrdinalIgnoreCase))] : [];
        return started.Count == 1 ? started[0] : NameSuggester.Closest(typed, candidates);
    }

    // Options marked Recursive on an ancestor (--help is the root's) are the subcommand's as well.
    private static IEnumerable<Option> AncestorOptions(CommandResult reached)
    {
        for (SymbolResult? parent = reached.Parent; parent is CommandResult command; parent = command.Parent)
        {
            foreach (Option option in command.Command.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }
}
