using System.Text;
using System.Text.Json;

namespace Medallion.TestSupport;

/// <summary>
/// A Credential Access Boundary as Google's STS takes it in a token exchange's <c>options</c>
/// (<c>{"accessBoundary": {"accessBoundaryRules": [...]}}</c>, each rule an <c>availableResource</c>, its
/// <c>availablePermissions</c> and an optional <c>availabilityCondition</c>), parsed strictly, and judged as Cloud Storage
/// judges a downscoped token's request: allowed when some rule names the request's bucket, one of its roles holds the
/// permission, and its condition (if any) is true.
/// </summary>
/// <remarks>
/// Conditions are CEL over <c>resource.name</c> and <c>api.getAttribute(name, default)</c>, with <c>startsWith</c>,
/// <c>==</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>!</c> and parentheses; a condition outside that subset is refused as the test
/// server's limit. Roles modelled: storage.objectViewer, objectCreator, objectUser and objectAdmin.
/// </remarks>
internal sealed class GcsAccessBoundaryRules
{
    private const string ResourcePrefix = "//storage.googleapis.com/projects/_/buckets/";

    private static readonly Dictionary<string, string[]> s_roles = new(StringComparer.Ordinal)
    {
        ["inRole:roles/storage.objectViewer"] = ["storage.objects.get", "storage.objects.list"],
        ["inRole:roles/storage.objectCreator"] = ["storage.objects.create"],
        ["inRole:roles/storage.objectUser"] = ["storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"],
        ["inRole:roles/storage.objectAdmin"] = ["storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"],
    };

    private readonly List<(string Bucket, HashSet<string> Permissions, string? Condition)> _rules;

    private GcsAccessBoundaryRules(List<(string, HashSet<string>, string?)> rules) => _rules = rules;

    /// <summary>The boundary <paramref name="options"/> holds, or the reason STS refuses it (its <c>error_description</c>).</summary>
    public static GcsAccessBoundaryRules Parse(string options)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(options);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"The options are not JSON: {e.Message}");
        }

        JsonElement boundary = Member(Object(root, "options"), "accessBoundary", ["accessBoundary"]);
        JsonElement rules = Member(Object(boundary, "accessBoundary"), "accessBoundaryRules", ["accessBoundaryRules"]);
        if (rules.ValueKind != JsonValueKind.Array || rules.GetArrayLength() is 0 or > 10)
        {
            throw new FormatException("accessBoundary.accessBoundaryRules must be an array of 1 to 10 rules.");
        }

        var parsed = new List<(string, HashSet<string>, string?)>();
        foreach (JsonElement rule in rules.EnumerateArray())
        {
            Object(rule, "an access boundary rule");
            string[] known = ["availableResource", "availablePermissions", "availabilityCondition"];
            JsonElement resource = Member(rule, "availableResource", known);
            if (resource.ValueKind != JsonValueKind.String || resource.GetString() is not { } name || !name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                || name.Length == ResourcePrefix.Length || name[ResourcePrefix.Length..].Contains('/', StringComparison.Ordinal))
            {
                throw new FormatException($"availableResource must be a bucket's full resource name ({ResourcePrefix}BUCKET), not {resource.GetRawText()}.");
            }

            JsonElement permissions = Member(rule, "availablePermissions", known);
            if (permissions.ValueKind != JsonValueKind.Array || permissions.GetArrayLength() == 0)
            {
                throw new FormatException("availablePermissions must be a non-empty array of inRole:roles/... names.");
            }

            var granted = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonElement permission in permissions.EnumerateArray())
            {
                string? role = permission.ValueKind == JsonValueKind.String ? permission.GetString() : null;
                if (role is null || !role.StartsWith("inRole:", StringComparison.Ordinal))
                {
                    throw new FormatException($"availablePermissions holds {permission.GetRawText()}: each must be an IAM role as inRole:roles/NAME.");
                }

                granted.UnionWith(s_roles.TryGetValue(role, out string[]? modelled) ? modelled
                    : throw new FormatException($"The role '{role}' is not one the test server models ({string.Join(", ", s_roles.Keys)})."));
            }

            string? condition = null;
            if (rule.TryGetProperty("availabilityCondition", out JsonElement c))
            {
                Object(c, "availabilityCondition");
                string[] conditionMembers = ["expression", "title", "description"];
                JsonElement expression = Member(c, "expression", conditionMembers);
                condition = expression.ValueKind == JsonValueKind.String && expression.GetString() is { Length: > 0 and <= 2048 } text
                    ? text : throw new FormatException("availabilityCondition.expression must be a CEL expression of 1 to 2048 characters.");
                // Parsed now, so a malformed one is refused here as STS refuses it, not when the token is used.
                new Cel(condition, "", new Dictionary<string, string>()).Evaluate();
            }

            parsed.Add((resource.GetString()![ResourcePrefix.Length..], granted, condition));
        }

        return new GcsAccessBoundaryRules(parsed);
    }

    /// <summary>Whether the boundary lets a token use <paramref name="permission"/> on <paramref name="resourceName"/> of <paramref name="bucket"/>.</summary>
    /// <param name="bucket">The request's bucket.</param>
    /// <param name="permission">The IAM permission the request needs (<c>storage.objects.get</c>).</param>
    /// <param name="resourceName">The resource as conditions see it: <c>projects/_/buckets/B</c> or <c>projects/_/buckets/B/objects/NAME</c>.</param>
    /// <param name="attributes">The request's API attributes (<c>storage.googleapis.com/objectListPrefix</c> on a list).</param>
    public bool Allows(string bucket, string permission, string resourceName, IReadOnlyDictionary<string, string> attributes) =>
        _rules.Exists(rule => rule.Bucket == bucket && rule.Permissions.Contains(permission)
            && (rule.Condition is null || new Cel(rule.Condition, resourceName, attributes).Evaluate()));

    private static JsonElement Object(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new FormatException($"{what} must be a JSON object.");

    /// <summary>A required member of <paramref name="element"/>; a member not in <paramref name="known"/> is refused, as proto3 JSON parsing refuses it.</summary>
    private static JsonElement Member(JsonElement element, string name, string[] known)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"Invalid JSON payload received. Unknown name \"{property.Name}\".");
            }
        }

        return element.TryGetProperty(name, out JsonElement value) ? value : throw new FormatException($"{name} is required.");
    }

    /// <summary>A recursive-descent evaluator of the CEL subset above, over one request.</summary>
    private sealed class Cel(string text, string resourceName, IReadOnlyDictionary<string, string> attributes)
    {
        private int _at;

        public bool Evaluate()
        {
            bool value = Or();
            Space();
            return _at == text.Length ? value : throw Error("an operator or the end");
        }

        private bool Or()
        {
            bool value = And();
            while (Take("||"))
            {
                value |= And();
            }

            return value;
        }

        private bool And()
        {
            bool value = Unary();
            while (Take("&&"))
            {
                value &= Unary();
            }

            return value;
        }

        private bool Unary()
        {
            if (Take("!"))
            {
                return !Unary();
            }

            if (Take("("))
            {
                bool inner = Or();
                Expect(")");
                return inner;
            }

            string subject;
            if (Take("resource.name"))
            {
                subject = resourceName;
            }
            else if (Take("api.getAttribute"))
            {
                Expect("(");
                string name = Literal();
                Expect(",");
                string fallback = Literal();
                Expect(")");
                subject = attributes.TryGetValue(name, out string? value) ? value : fallback;
            }
            else
            {
                throw Error("resource.name, api.getAttribute(...), '!' or '('");
            }

            if (Take("=="))
            {
                return subject == Literal();
            }

            Expect(".startsWith");
            Expect("(");
            string prefix = Literal();
            Expect(")");
            return subject.StartsWith(prefix, StringComparison.Ordinal);
        }

        /// <summary>A quoted CEL string, with the escapes \\, \' and \".</summary>
        private string Literal()
        {
            Space();
            if (_at >= text.Length || text[_at] is not ('\'' or '"'))
            {
                throw Error("a quoted string");
            }

            char quote = text[_at++];
            var value = new StringBuilder();
            while (_at < text.Length && text[_at] != quote)
            {
                char c = text[_at++];
                if (c == '\\')
                {
                    c = _at < text.Length && text[_at] is '\\' or '\'' or '"' ? text[_at++] : throw Error("one of the escapes \\\\, \\' or \\\" (the test server models no others)");
                }

                value.Append(c);
            }

            if (_at++ >= text.Length)
            {
                throw Error("the string's closing quote");
            }

            return value.ToString();
        }

        private bool Take(string token)
        {
            Space();
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) == 0)
            {
                _at += token.Length;
                return true;
            }

            return false;
        }

        private void Expect(string token)
        {
            if (!Take(token))
            {
                throw Error($"'{token}'");
            }
        }

        private void Space()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }

        private FormatException Error(string expected) =>
            new($"The availability condition '{text}' is not a valid expression: {expected} was expected at character {_at + 1}.");
    }
}
