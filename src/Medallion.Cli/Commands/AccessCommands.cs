using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform.Access;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion role create|drop|list</c>, <c>medallion grant|revoke</c> and <c>medallion access mask|filter|show</c>:
/// who reads which tables and columns, and how classified columns are masked. All of it lives in the project's catalog.
/// </summary>
internal static class AccessCommands
{
    private const string GrantSyntax =
        "grant <privilege> on <object> to <role|user>: " + AccessGrantText.Syntax + "; or grant <role> to <user>";

    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return Role(output);
        yield return GrantOrRevoke(output, grant: true);
        yield return GrantOrRevoke(output, grant: false);
        yield return Access(output);
    }

    private static Command Role(TextWriter output)
    {
        var command = new Command("role", "Manage roles: named sets of grants that users hold.");
        foreach (string verb in new[] { "create", "drop" })
        {
            var name = new Argument<string>("name") { Description = "The role's name." };
            Option<string> project = ProjectOption.Create();
            var sub = new Command(verb, verb == "create" ? "Create a role (it holds no grants until granted)." : "Drop a role with its grants, row filters and memberships.") { name, project };
            sub.SetAction(async (parsed, cancellationToken) =>
            {
                string role = parsed.GetRequiredValue(name);
                await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
                if (verb == "create")
                {
                    bool created = await access.Service.CreateRoleAsync(CliAccess.Actor, role, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync(created ? $"Created role {role}." : $"Role {role} already exists.").ConfigureAwait(false);
                }
                else
                {
                    await access.Service.DropRoleAsync(CliAccess.Actor, role, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync($"Dropped role {role}.").ConfigureAwait(false);
                }

                return 0;
            });
            command.Add(sub);
        }

        Option<string> listProject = ProjectOption.Create();
        var list = new Command("list", "List the roles with their members and grants.") { listProject };
        list.SetAction(async (parsed, cancellationToken) =>
        {
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, listProject), cancellationToken).ConfigureAwait(false);
            List<AccessRole> roles = await access.Service.ListRolesAsync(cancellationToken).ConfigureAwait(false);
            List<AccessGrant> grants = await access.Service.ListGrantsAsync(cancellationToken).ConfigureAwait(false);
            foreach (AccessRole role in roles)
            {
                string held = string.Join(", ", grants.Where(g => g.GranteeKind == GranteeKind.Role && g.Grantee == role.Name).Select(Describe));
                await output.WriteLineAsync($"{role.Name}\tmembers: {(role.Members.Count == 0 ? "-" : string.Join(", ", role.Members))}\tgrants: {(held.Length == 0 ? "-" : held)}{(role.DeclaredIn is null ? string.Empty : "\tdeclared in " + role.DeclaredIn)}").ConfigureAwait(false);
            }

            if (roles.Count == 0)
            {
                await output.WriteLineAsync("No roles. Help: medallion role create <name>").ConfigureAwait(false);
            }

            return 0;
        });
        command.Add(list);
        return command;
    }

    private static Command GrantOrRevoke(TextWriter output, bool grant)
    {
        var words = new Argument<string[]>("words") { Arity = ArgumentArity.OneOrMore, Description = GrantSyntax };
        Option<string> project = ProjectOption.Create();
        var command = new Command(grant ? "grant" : "revoke", grant
            ? "Grant a privilege on an object to a role or user, or a role to a user. " + GrantSyntax
            : "Take back a grant: revoke <privilege> on <object> from <role|user>, or revoke <role> from <user>.")
        {
            words, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string[] tokens = string.Join(' ', parsed.GetRequiredValue(words)).Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal).Replace(",", " , ", StringComparison.Ordinal)
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // <grant text> to|from <grantee>: a role's name, or a privilege on an object as AccessGrantText reads it.
            if (tokens.Length < 3 || !(tokens[^2].Equals("to", StringComparison.OrdinalIgnoreCase) || tokens[^2].Equals("from", StringComparison.OrdinalIgnoreCase)))
            {
                throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"The grant does not read: expected '<object> to <role|user>' at the end.\nHelp: {GrantSyntax}.");
            }

            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            string text = string.Join(' ', tokens[..^2]);
            GrantChange change = grant
                ? await access.Service.GrantAsync(CliAccess.Actor, text, tokens[^1], cancellationToken).ConfigureAwait(false)
                : await access.Service.RevokeAsync(CliAccess.Actor, text, tokens[^1], cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Describe(change, grant)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>What a grant or revoke did, as the CLI says it.</summary>
    private static string Describe(GrantChange change, bool grant)
    {
        if (change.Role is { } role)
        {
            return (grant, change.Changed) switch
            {
                (true, true) => $"Granted role {role} to {change.Grantee}.",
                (true, false) => $"{change.Grantee} already holds role {role}.",
                (false, true) => $"Revoked role {role} from {change.Grantee}.",
                _ => $"{change.Grantee} did not hold role {role}.",
            };
        }

        string what = $"{change.Description} {(grant ? "to" : "from")} {change.Grantee}";
        return (grant, change.Changed) switch
        {
            (true, true) => $"Granted {what}.",
            (true, false) => $"Already granted: {what}.",
            (false, true) => $"Revoked {what}.",
            _ => $"There was no grant of {what}.",
        };
    }

    private static Command Access(TextWriter output)
    {
        var command = new Command("access", "Masking policies and row filters, and what a user may read.");

        var classification = new Argument<string>("classification") { Description = "The classification whose columns are masked (pii, ...)." };
        var policy = new Argument<string>("policy") { Description = "hash (keyed HMAC-SHA-256), partial (***.***.***-05, j***@example.com), null, or a SQL expression with {column}." };
        Option<string> maskProject = ProjectOption.Create();
        var mask = new Command("mask", "Set how columns of a classification are masked for users without unmask on it.") { classification, policy, maskProject };
        mask.SetAction(async (parsed, cancellationToken) =>
        {
            string text = parsed.GetRequiredValue(policy);
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, maskProject), cancellationToken).ConfigureAwait(false);
            MaskingPolicy masking = await access.Service.SetMaskAsync(CliAccess.Actor, parsed.GetRequiredValue(classification), text, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Columns classified {masking.Classification} are masked with {text} for users without unmask on {masking.Classification}.").ConfigureAwait(false);
            return 0;
        });
        command.Add(mask);

        var table = new Argument<string>("table") { Description = "The table (namespace.table)." };
        var grantee = new Argument<string>("grantee") { Description = "The role or user the filter applies to." };
        var predicate = new Argument<string>("predicate") { Description = "The condition rows must meet, e.g. \"region = user.attribute('region')\"." };
        Option<string> filterProject = ProjectOption.Create();
        var filter = new Command("filter", "Show a role or user only the rows of a table that meet a condition.") { table, grantee, predicate, filterProject };
        filter.SetAction(async (parsed, cancellationToken) =>
        {
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, filterProject), cancellationToken).ConfigureAwait(false);
            string who = parsed.GetRequiredValue(grantee);
            await access.Service.SetRowFilterAsync(CliAccess.Actor, parsed.GetRequiredValue(table), who, parsed.GetRequiredValue(predicate), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"{who} sees the rows of {parsed.GetRequiredValue(table)} where {parsed.GetRequiredValue(predicate)}.").ConfigureAwait(false);
            return 0;
        });
        command.Add(filter);
        foreach (bool apply in new[] { false, true })
        {
            Option<string> project = ProjectOption.Create();
            var sub = new Command(apply ? "apply" : "plan", apply
                ? "Make the catalog's declared roles, grants, masks and row filters those of access: in medallion.yml and access/*.yml; grants made with medallion grant that the files do not mention stay."
                : "Show what medallion access apply would change, without changing anything.")
            {
                project,
            };
            sub.SetAction(async (parsed, cancellationToken) =>
            {
                string directory = ProjectOption.Resolve(parsed, project);
                Pipelines.MedallionProject loaded = await Pipelines.MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using CliAccess access = await CliAccess.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
                IReadOnlyList<AccessChange> changes = apply
                    ? await access.Service.ApplyDeclaredAsync(CliAccess.Actor, loaded.Name, loaded.Access, cancellationToken).ConfigureAwait(false)
                    : await access.Service.PlanDeclaredAsync(loaded.Access, cancellationToken).ConfigureAwait(false);
                foreach (AccessChange change in changes)
                {
                    await output.WriteLineAsync(change.ToString()).ConfigureAwait(false);
                }

                await output.WriteLineAsync(changes.Count == 0
                    ? "The catalog matches the declared access policy."
                    : apply ? $"Applied {changes.Count} change(s)." : $"{changes.Count} change(s). Help: medallion access apply makes them.").ConfigureAwait(false);
                return 0;
            });
            command.Add(sub);
        }

        return command;
    }

    private static string Describe(AccessGrant grant) => AccessGrantText.Format(grant);
}
