using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// A YAML mapping read with a closed set of keys: an unknown key is an error that suggests the
/// closest known one, and each typed getter says what it expected when the value has another shape.
/// </summary>
internal sealed class YamlMap
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);

    public YamlMap(YamlFile file, YamlMappingNode node, string what, IReadOnlyList<string> allowedKeys)
    {
        File = file;
        Node = node;
        foreach ((YamlNode keyNode, YamlNode value) in node.Children)
        {
            string key = keyNode is YamlScalarNode { Value: { } text } ? text : throw file.Error(keyNode, $"keys in {what} must be plain names, but found {YamlFile.Describe(keyNode)}.");
            if (allowedKeys.Count > 0 && !allowedKeys.Contains(key, StringComparer.Ordinal))
            {
                throw file.Error(keyNode, $"unknown key '{key}' in {what}.{NameSuggester.DidYouMean(key, allowedKeys)} Expected one of: {string.Join(", ", allowedKeys)}.");
            }

            _entries[key] = ((YamlScalarNode)keyNode, value);
        }
    }

    public YamlFile File { get; }

    public YamlMappingNode Node { get; }

    public IEnumerable<(string Key, YamlScalarNode KeyNode, YamlNode Value)> Entries => _entries.Select(e => (e.Key, e.Value.Key, e.Value.Value));

    public bool Has(string key) => _entries.ContainsKey(key);

    public YamlNode? Value(string key) => _entries.TryGetValue(key, out (YamlScalarNode Key, YamlNode Value) entry) ? entry.Value : null;

    public YamlNode Required(string key, string what, string example) =>
        Value(key) ?? throw File.Error(Node, $"{what} has no '{key}'. Expected '{key}: {example}'.");

    public string? String(string key) => Value(key) is { } node && !IsNull(node) ? File.Scalar(node, key) : null;

    /// <summary>A scalar as written, with <c>${NAME}</c> references left for the run to resolve (for secrets).</summary>
    public string? RawString(string key) => Value(key) switch
    {
        null => null,
        YamlNode node when IsNull(node) => null,
        YamlScalarNode scalar => scalar.Value,
        YamlNode node => throw File.Error(node, $"'{key}' must be a single value, but found {YamlFile.Describe(node)}."),
    };

    public string RequiredString(string key, string what, string example)
    {
        YamlNode node = Required(key, what, example);
        string value = File.Scalar(node, key);
        return value.Length > 0 ? value : throw File.Error(node, $"'{key}' is empty. Expected '{key}: {example}'.");
    }

    public IReadOnlyList<string> Strings(string key) => Value(key) is { } node ? File.Strings(node, key) : [];

    public bool? Bool(string key)
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw File.Error(Value(key)!, $"'{key}' must be true or false, but found '{text}'."),
        };
    }

    public long? Long(string key)
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw File.Error(Value(key)!, $"'{key}' must be a whole number, but found '{text}'.");
    }

    /// <summary>A duration such as <c>15m</c> (see <see cref="YamlFile.Duration"/>); null when absent.</summary>
    public TimeSpan? Duration(string key) => Value(key) is { } node && !IsNull(node) ? File.Duration(node, key) : null;

    /// <summary>A value that must be one of <paramref name="choices"/> (compared case-insensitively); null when absent.</summary>
    public string? Choice(string key, IReadOnlyList<string> choices)
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        string? match = choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
        return match ?? throw File.Error(Value(key)!, $"'{key}' cannot be '{text}'.{NameSuggester.DidYouMean(text, choices)} Expected one of: {string.Join(", ", choices)}.");
    }

    public YamlMap? Map(string key, string what, IReadOnlyList<string> allowedKeys) =>
        Value(key) is { } node && !IsNull(node) ? File.Map(node, what, allowedKeys) : null;

    public IReadOnlyList<YamlNode> List(string key)
    {
        if (Value(key) is not { } node || IsNull(node))
        {
            return [];
        }

        return node is YamlSequenceNode sequence
            ? sequence.Children.ToList()
            : throw File.Error(node, $"'{key}' must be a list ('- item' lines), but found {YamlFile.Describe(node)}.");
    }

    public static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null", Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) };
}
