using System.Text.Json.Nodes;

namespace Medallion.TestSupport;

/// <summary>
/// The JSON API's <c>fields</c> parameter (partial responses): a comma-separated list of field paths
/// (<c>a/b</c>), each optionally followed by a parenthesised sub-selection (<c>items(name,size)</c>), <c>*</c> for all.
/// A selection on an array applies to each element; a field the resource lacks is left out.
/// </summary>
internal sealed class GcsFieldSelector
{
    /// <summary>Selected field to its sub-selection; null selects the whole field.</summary>
    private readonly Dictionary<string, GcsFieldSelector?> _fields = new(StringComparer.Ordinal);

    private GcsFieldSelector()
    {
    }

    /// <summary>Parses <paramref name="text"/>; a malformed selection is a violation, as GCS rejects it.</summary>
    public static GcsFieldSelector Parse(string text)
    {
        int position = 0;
        GcsFieldSelector selector = ParseList(text, ref position);
        if (position != text.Length)
        {
            throw Invalid(text);
        }

        return selector;
    }

    /// <summary>The part of <paramref name="node"/> this selection keeps.</summary>
    public JsonNode? Apply(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray array:
                return new JsonArray([.. array.Select(Apply)]);
            case JsonObject obj:
                if (_fields.ContainsKey("*"))
                {
                    return obj.DeepClone();
                }

                var result = new JsonObject();
                foreach ((string name, GcsFieldSelector? sub) in _fields)
                {
                    if (obj.TryGetPropertyValue(name, out JsonNode? value))
                    {
                        result[name] = sub is null ? value?.DeepClone() : sub.Apply(value);
                    }
                }

                return result;
            default:
                return node?.DeepClone();
        }
    }

    private static GcsFieldSelector ParseList(string text, ref int position)
    {
        var selector = new GcsFieldSelector();
        while (true)
        {
            // One path: names separated by '/', then maybe a parenthesised sub-selection for its last name.
            var path = new List<string> { Name(text, ref position) };
            while (position < text.Length && text[position] == '/')
            {
                position++;
                path.Add(Name(text, ref position));
            }

            GcsFieldSelector? sub = null;
            if (position < text.Length && text[position] == '(')
            {
                position++;
                sub = ParseList(text, ref position);
                if (position >= text.Length || text[position] != ')')
                {
                    throw Invalid(text);
                }

                position++;
            }

            for (int i = path.Count - 1; i > 0; i--)
            {
                var parent = new GcsFieldSelector();
                parent._fields[path[i]] = sub;
                sub = parent;
            }

            selector.Merge(path[0], sub);
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }

            return selector;
        }
    }

    private void Merge(string name, GcsFieldSelector? sub)
    {
        if (!_fields.TryGetValue(name, out GcsFieldSelector? existing))
        {
            _fields[name] = sub;
        }
        else if (existing is null || sub is null)
        {
            _fields[name] = null;
        }
        else
        {
            foreach ((string subName, GcsFieldSelector? subSub) in sub._fields)
            {
                existing.Merge(subName, subSub);
            }
        }
    }

    private static string Name(string text, ref int position)
    {
        while (position < text.Length && text[position] == ' ')
        {
            position++;
        }

        int start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '_' or '*' or '.' or '-' or '#' or '$' or '@'))
        {
            position++;
        }

        string name = text[start..position];
        while (position < text.Length && text[position] == ' ')
        {
            position++;
        }

        return name.Length > 0 ? name : throw Invalid(text);
    }

    private static GcsError Invalid(string text) => GcsError.Invalid($"Invalid field selection {text}");
}
