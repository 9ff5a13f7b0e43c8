using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;

namespace Medallion.Cli.Output;

/// <summary>
/// How <c>--help</c> shows arguments and choices: an argument that may be left out in brackets wherever it is listed
/// (<c>init [&lt;dir&gt;]</c>), as the usage line already shows it, and an enum option's choices and default in lower
/// case, as they are written on the command line (<c>&lt;table|json&gt;</c>, <c>[default: table]</c>).
/// </summary>
/// <remarks>
/// System.CommandLine 3.0 keeps its help builder internal, so the choices are set as each option's help name and the
/// rest is adjusted in the text it writes: the rows of the Arguments and Commands sections, re-aligned.
/// </remarks>
internal sealed class HelpText(HelpAction standard) : SynchronousCommandLineAction
{
    /// <summary>Makes the help of <paramref name="root"/> and every command under it show arguments and choices that way.</summary>
    public static void Apply(RootCommand root)
    {
        foreach (HelpOption help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction standard)
            {
                help.Action = new HelpText(standard);
            }
        }

        NameChoices(root);
    }

    /// <inheritdoc/>
    /// <remarks>As the standard help: <c>lineage --help</c> shows the help, not the missing table.</remarks>
    public override bool ClearsParseErrors => true;

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        InvocationConfiguration configuration = parseResult.InvocationConfiguration;
        TextWriter output = configuration.Output;
        using var written = new StringWriter { NewLine = output.NewLine };
        configuration.Output = written;
        int exitCode;
        try
        {
            exitCode = standard.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }

        output.Write(Rewrite(written.ToString(), parseResult.CommandResult.Command));
        return exitCode;
    }

    /// <summary>The help of <paramref name="command"/> as System.CommandLine wrote it, with optional arguments bracketed and enum defaults in lower case.</summary>
    internal static string Rewrite(string help, Command command)
    {
        foreach (Option option in command.Options.Where(o => EnumType(o.ValueType) is not null && o.HasDefaultValue))
        {
            string shown = $"[default: {option.GetDefaultValue()}]";
            help = help.Replace(shown, shown.ToLowerInvariant(), StringComparison.Ordinal);
        }

        var labels = new Dictionary<string, (string Label, bool Subcommand)>(StringComparer.Ordinal);
        foreach (Argument argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues == 0))
        {
            labels[Plain(argument)] = (Label(argument), false);
        }

        foreach (Command subcommand in command.Subcommands.Where(c => !c.Hidden && c.Arguments.Any(a => a.Arity.MinimumNumberOfValues == 0)))
        {
            labels[string.Join(' ', subcommand.Arguments.Select(Plain).Prepend(subcommand.Name))] = (string.Join(' ', subcommand.Arguments.Select(Label).Prepend(subcommand.Name)), true);
        }

        return labels.Count == 0 ? help : Realign(help, labels);
    }

    /// <summary>
    /// Replaces the first column of the two-column rows whose label is a key of <paramref name="labels"/>, widening the
    /// section's first column when a new label needs it; a subcommand row loses its argument's default, which is the
    /// subcommand's own help's to tell.
    /// </summary>
    private static string Realign(string help, IReadOnlyDictionary<string, (string Label, bool Subcommand)> labels)
    {
        string newline = help.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        List<string> lines = [.. help.Split(newline)];
        int start = 0;
        while (start < lines.Count)
        {
            int end = start + 1;
            while (end < lines.Count && lines[end].StartsWith(' '))
            {
                end++;
            }

            RealignSection(lines, start + 1, end, labels);
            start = end;
        }

        return string.Join(newline, lines);
    }

    private static void RealignSection(List<string> lines, int first, int end, IReadOnlyDictionary<string, (string Label, bool Subcommand)> labels)
    {
        // A row is "  <label>  <description>", the descriptions of a section all starting in one column; a wrapped
        // description goes on in that column on the next lines.
        var rows = new List<(int Line, string Label, string Description)>();
        int column = 0;
        for (int i = first; i < end; i++)
        {
            string line = lines[i];
            if (line.Length > 2 && line[2] != ' ' && line.IndexOf("  ", 2, StringComparison.Ordinal) is int gap and > 0)
            {
                column = gap + line.AsSpan(gap).IndexOfAnyExcept(' ');
                rows.Add((i, line[2..gap], line[column..]));
            }
        }

        if (!rows.Any(r => labels.ContainsKey(r.Label)))
        {
            return;
        }

        Dictionary<int, (string Label, string Description)> renamed = rows.ToDictionary(r => r.Line, r => labels.TryGetValue(r.Label, out (string Label, bool Subcommand) replacement)
            ? (replacement.Label, replacement.Subcommand ? WithoutDefault(r.Description) : r.Description)
            : (r.Label, r.Description));
        int width = Math.Max(column - 4, renamed.Values.Max(r => r.Label.Length));
        int newColumn = width + 4;
        for (int i = first; i < end; i++)
        {
            if (renamed.TryGetValue(i, out (string Label, string Description) row))
            {
                lines[i] = ("  " + row.Label.PadRight(width) + "  " + row.Description).TrimEnd();
            }
            else if (lines[i].Length > 0 && newColumn > column)
            {
                lines[i] = new string(' ', newColumn - column) + lines[i];
            }
        }
    }

    private static string WithoutDefault(string description)
    {
        int at = description.LastIndexOf(" [default: ", StringComparison.Ordinal);
        return at >= 0 && description.EndsWith(']') ? description[..at] : description;
    }

    /// <summary>Enum choices as they are typed, in the order the enum declares them (its default first, as a rule).</summary>
    private static void NameChoices(Command command)
    {
        foreach (Option option in command.Options)
        {
            if (option.HelpName is null && EnumType(option.ValueType) is { } type)
            {
                option.HelpName = Choices(type);
            }
        }

        foreach (Argument argument in command.Arguments)
        {
            if (argument.HelpName is null && EnumType(argument.ValueType) is { } type)
            {
                argument.HelpName = Choices(type);
            }
        }

        foreach (Command subcommand in command.Subcommands)
        {
            NameChoices(subcommand);
        }
    }

    private static string Choices(Type type) => string.Join('|', Enum.GetNames(type)).ToLowerInvariant();

    private static string Plain(Argument argument) => $"<{argument.HelpName ?? argument.Name}>";

    private static string Label(Argument argument) => argument.Arity.MinimumNumberOfValues == 0 ? $"[{Plain(argument)}]" : Plain(argument);

    private static Type? EnumType(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is { IsEnum: true } e ? e : null;
}
