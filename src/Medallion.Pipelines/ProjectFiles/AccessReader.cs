using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads the access policy a project keeps in git: <c>access:</c> in <c>medallion.yml</c> and the same keys at the top of
/// <c>access/*.yml</c>, with errors at file:line:column.
/// </summary>
/// <example>
/// <code>
/// roles:
///   analysts:
///     members: [ana]
///     grants: [select on silver, "select (id, city) on gold.customers"]
/// users:
///   rita:
///     grants: [select on silver.orders]
/// masking:
///   pii: partial            # hash | partial | null | an expression with {column}
/// row_filters:
///   - table: silver.customers
///     role: analysts        # or user: rita
///     where: region = user.attribute('region')
/// </code>
/// </example>
internal static class AccessReader
{
    /// <summary>The keys of an access section.</summary>
    public static readonly string[] Keys = ["roles", "users", "masking", "row_filters"];
    private static readonly string[] s_roleKeys = ["members", "grants"];
    private static readonly string[] s_userKeys = ["grants"];
    private static readonly string[] s_filterKeys = ["table", "role", "user", "where"];

    /// <summary>Adds what <paramref name="section"/> declares to <paramref name="into"/>.</summary>
    public static void Read(YamlMap section, DeclaredAccessBuilder into)
    {
        string file = section.File.DisplayPath;
        if (section.Map("roles", "'roles'", []) is { } roles)
        {
            foreach ((string name, YamlScalarNode key, YamlNode value) in roles.Entries)
            {
                YamlMap role = YamlMap.IsNull(value) ? section.File.Map(new YamlMappingNode(), $"role '{name}'", s_roleKeys) : section.File.Map(value, $"role '{name}'", s_roleKeys);
                if (into.Roles.Any(r => r.Name == name))
                {
                    throw section.File.Error(key, $"role '{name}' is declared twice. Expected each role once across medallion.yml and access/*.yml.");
                }

                into.Add(new AccessRole(name, role.Strings("members"), file), section.File.Location(key));
                ReadGrants(role, GranteeKind.Role, name, into);
            }
        }

        if (section.Map("users", "'users'", []) is { } users)
        {
            foreach ((string name, YamlScalarNode _, YamlNode value) in users.Entries)
            {
                ReadGrants(section.File.Map(value, $"user '{name}'", s_userKeys), GranteeKind.User, name, into);
            }
        }

        if (section.Map("masking", "'masking'", []) is { } masking)
        {
            foreach ((string classification, YamlScalarNode _, YamlNode value) in masking.Entries)
            {
                string policy = section.File.Scalar(value, classification);
                into.Add(policy.ToLowerInvariant() switch
                {
                    "hash" => new MaskingPolicy(classification, MaskingPolicyKind.Hash, null, file),
                    "partial" => new MaskingPolicy(classification, MaskingPolicyKind.Partial, null, file),
                    "null" => new MaskingPolicy(classification, MaskingPolicyKind.Null, null, file),
                    _ when policy.Contains("{column}", StringComparison.Ordinal) => new MaskingPolicy(classification, MaskingPolicyKind.Expression, policy, file),
                    _ => throw section.File.Error(value, $"'{policy}' is not a masking policy. Expected hash, partial, null, or a SQL expression with {{column}}."),
                }, section.File.Location(value));
            }
        }

        foreach (YamlNode item in section.List("row_filters"))
        {
            YamlMap filter = section.File.Map(item, "a row filter", s_filterKeys);
            string table = filter.RequiredString("table", "the table it filters", "table: silver.customers");
            string predicate = filter.RequiredString("where", "the condition rows must meet", "where: region = user.attribute('region')");
            (GranteeKind kind, string grantee) = (filter.String("role"), filter.String("user")) switch
            {
                ({ } role, null) => (GranteeKind.Role, role),
                (null, { } user) => (GranteeKind.User, user),
                _ => throw section.File.Error(item, "a row filter names whom it applies to with exactly one of 'role:' or 'user:'."),
            };
            into.Add(new RowFilter(table, kind, grantee, predicate, file), section.File.Location(item));
        }
    }

    private static void ReadGrants(YamlMap owner, GranteeKind kind, string grantee, DeclaredAccessBuilder into)
    {
        if (owner.Value("grants") is not { } node)
        {
            return;
        }

        IReadOnlyList<string> texts = owner.Strings("grants");
        IReadOnlyList<YamlNode> items = node is YamlSequenceNode sequence ? sequence.Children.ToList() : [node];
        for (int i = 0; i < texts.Count; i++)
        {
            YamlNode item = items[Math.Min(i, items.Count - 1)];
            AccessGrant grant;
            try
            {
                grant = AccessGrantText.Parse(texts[i], kind, grantee, owner.File.DisplayPath);
            }
            catch (MedallionException exception)
            {
                throw owner.File.Error(item, exception.Message.Split('\n')[0] + " Expected e.g. 'select on silver' or 'unmask on pii'.");
            }

            into.Add(grant, owner.File.Location(item));
        }
    }
}

/// <summary>What the project's files declare so far, gathered across medallion.yml and access/*.yml, with where each item is written.</summary>
internal sealed class DeclaredAccessBuilder
{
    private readonly Dictionary<object, SourceLocation> _locations = new(ReferenceEqualityComparer.Instance);

    public List<AccessRole> Roles { get; } = [];

    public List<AccessGrant> Grants { get; } = [];

    public List<MaskingPolicy> MaskingPolicies { get; } = [];

    public List<RowFilter> RowFilters { get; } = [];

    public void Add(AccessRole role, SourceLocation at) => Roles.Add(Located(role, at));

    public void Add(AccessGrant grant, SourceLocation at) => Grants.Add(Located(grant, at));

    public void Add(MaskingPolicy policy, SourceLocation at) => MaskingPolicies.Add(Located(policy, at));

    public void Add(RowFilter filter, SourceLocation at) => RowFilters.Add(Located(filter, at));

    public DeclaredAccess Build() => Roles.Count + Grants.Count + MaskingPolicies.Count + RowFilters.Count == 0
        ? DeclaredAccess.None
        : new DeclaredAccess(Roles, Grants, MaskingPolicies, RowFilters) { Locations = _locations };

    private T Located<T>(T item, SourceLocation at)
        where T : notnull
    {
        _locations[item] = at;
        return item;
    }
}
