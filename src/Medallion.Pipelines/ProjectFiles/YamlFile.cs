using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// One parsed YAML document from a project file, with what it takes to report errors as
/// <c>file:line:column: what is wrong. What was expected.</c> YAML embedded in a model's leading
/// comment is parsed on its own and shifted by <see cref="_lineOffset"/> so the lines match the .sql file.
/// </summary>
internal sealed class YamlFile
{
    private readonly int _lineOffset;
    private readonly Func<string, string?>? _environment;

    private YamlFile(string displayPath, int lineOffset, Func<string, string?>? environment)
    {
        DisplayPath = displayPath;
        _lineOffset = lineOffset;
        _environment = environment;
    }

    /// <summary>The file as the user knows it: relative to the project, with forward slashes.</summary>
    public string DisplayPath { get; }

    /// <summary>
    /// Parses <paramref name="text"/>; the root is null when the document is empty.
    /// <paramref name="environment"/>, when given, resolves <c>${NAME}</c> and <c>${NAME:-default}</c> in scalars.
    /// </summary>
    public static (YamlFile File, YamlNode? Root) Parse(string displayPath, string text, int lineOffset = 0, Func<string, string?>? environment = null)
    {
        var file = new YamlFile(displayPath, lineOffset, environment);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            string message = exception.InnerException is YamlException inner ? inner.Message : exception.Message;
            throw file.Error(exception.Start, $"this is not valid YAML: {TrimMark(message)}. Expected indented 'key: value' lines, '- item' lists or [a, b] flow lists.", exception);
        }

        return stream.Documents.Count switch
        {
            0 => (file, null),
            1 => (file, stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" } ? null : stream.Documents[0].RootNode),
            _ => throw file.Error(stream.Documents[1].RootNode, "a second YAML document starts here. Expected one document per file."),
        };
    }

    public SourceLocation Location(Mark mark) => new(DisplayPath, (int)mark.Line + _lineOffset, (int)mark.Column);

    public SourceLocation Location(YamlNode node) => Location(node.Start);

    public MedallionException Error(YamlNode node, string message, ErrorCode code = ErrorCode.ProjectFileInvalid) => Error(node.Start, message, null, code);

    public MedallionException Error(Mark mark, string message, Exception? inner = null, ErrorCode code = ErrorCode.ProjectFileInvalid)
    {
        SourceLocation location = Location(mark);
        return new MedallionException(code, $"{location}: {message}", inner, location: location);
    }

    /// <summary>The scalar's text with environment references resolved; an error when the node is not a scalar.</summary>
    public string Scalar(YamlNode node, string key)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node, $"'{key}' must be a single value, but found {Describe(node)}.");
        }

        string value = scalar.Value ?? string.Empty;
        return _environment is null ? value : Substitute(scalar, value);
    }

    /// <summary>A positive duration written as a number and a unit (<see cref="DurationText"/>): <c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c> or <c>2w</c>.</summary>
    public TimeSpan Duration(YamlNode node, string key)
    {
        string text = Scalar(node, key).Trim();
        if (DurationText.TryParse(text, out TimeSpan duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        throw Error(node, $"'{key}' cannot be '{text}'. Expected a number and a unit: {DurationText.Examples}.");
    }

    /// <summary>A scalar or a list of scalars, as a list.</summary>
    public IReadOnlyList<string> Strings(YamlNode node, string key) => node switch
    {
        YamlScalarNode scalar when string.IsNullOrEmpty(scalar.Value) => [],
        YamlScalarNode => [Scalar(node, key)],
        YamlSequenceNode sequence => sequence.Children.Select(child => child is YamlScalarNode
            ? Scalar(child, key)
            : throw Error(child, $"'{key}' must be a list of single values, but this item is {Describe(child)}.")).ToList(),
        _ => throw Error(node, $"'{key}' must be a value or a list of values, but found {Describe(node)}."),
    };

    public YamlMap Map(YamlNode node, string what, IReadOnlyList<string> allowedKeys) => node is YamlMappingNode mapping
        ? new YamlMap(this, mapping, what, allowedKeys)
        : throw Error(node, $"{what} must be a mapping of 'key: value' lines, but found {Describe(node)}.");

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode scalar => $"'{scalar.Value}'",
        _ => "an alias",
    };

    private string Substitute(YamlScalarNode node, string value)
    {
        if (!value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }

        var result = new StringBuilder();
        int index = 0;
        while (index < value.Length)
        {
            int start = value.IndexOf("${", index, StringComparison.Ordinal);
            if (start < 0)
            {
                result.Append(value, index, value.Length - index);
                break;
            }

            int end = value.IndexOf('}', start);
            if (end < 0)
            {
                throw Error(node, $"'${{' is not closed. Expected ${{NAME}} or ${{NAME:-default}}.");
            }

            result.Append(value, index, start - index);
            string reference = value[(start + 2)..end];
            int defaultAt = reference.IndexOf(":-", StringComparison.Ordinal);
            string name = defaultAt >= 0 ? reference[..defaultAt] : reference;
            string? resolved = _environment!(name);
            if (string.IsNullOrEmpty(resolved))
            {
                resolved = defaultAt >= 0
                    ? reference[(defaultAt + 2)..]
                    : throw Error(node, $"the environment variable '{name}' is not set.\nHelp: export {name}=... before running medallion, or write ${{{name}:-default}}.", ErrorCode.ProjectEnvironmentVariableMissing);
            }

            result.Append(resolved);
            index = end + 1;
        }

        return result.ToString();
    }

    private static string TrimMark(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; we report the location ourselves.
        int at = message.LastIndexOf("): ", StringComparison.Ordinal);
        return (at >= 0 ? message[(at + 3)..] : message).TrimEnd('.');
    }
}
