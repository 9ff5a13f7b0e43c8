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

                into.Roles.Add(new AccessRole(name, role.Strings("members"), file));
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
                into.MaskingPolicies.Add(policy.ToLowerInvariant() switch
                {
                    "hash" => new MaskingPolicy(classification, MaskingPolicyKind.Hash, null, file),
                    "partial" => new MaskingPolicy(classification, MaskingPolicyKind.Partial, null, file),
                    "null" => new MaskingPolicy(classification, MaskingPolicyKind.Null, null, file),
                    _ when policy.Contains("{column}", StringComparison.Ordinal) => new MaskingPolicy(classification, MaskingPolicyKind.Expression, policy, file),
                    _ => throw section.File.Error(value, $"'{policy}' is not a masking policy. Expected hash, partial, null, or a SQL expression with {{column}}."),
                });
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
            into.RowFilters.Add(new RowFilter(table, kind, grantee, predicate, file));
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
            try
            {
                into.Grants.Add(AccessGrantText.Parse(texts[i], kind, grantee, owner.File.DisplayPath));
            }
            catch (MedallionException exception)
            {
                throw owner.File.Error(items[Math.Min(i, items.Count - 1)], exception.Message.Split('\n')[0] + " Expected e.g. 'select on silver' or 'unmask on pii'.");
            }
        }
    }
}

/// <summary>What the project's files declare so far, gathered across medallion.yml and access/*.yml.</summary>
internal sealed class DeclaredAccessBuilder
{
    public List<AccessRole> Roles { get; } = [];

    public List<AccessGrant> Grants { get; } = [];

    public List<MaskingPolicy> MaskingPolicies { get; } = [];

    public List<RowFilter> RowFilters { get; } = [];

    public DeclaredAccess Build() => Roles.Count + Grants.Count + MaskingPolicies.Count + RowFilters.Count == 0
        ? DeclaredAccess.None
        : new DeclaredAccess(Roles, Grants, MaskingPolicies, RowFilters);
}
