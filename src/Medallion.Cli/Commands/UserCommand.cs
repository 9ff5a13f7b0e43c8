using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform.Access;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion user add|list|remove</c>: who may log in to <c>medallion serve</c>. The project's catalog keeps
/// each user's SCRAM-SHA-256 verifier (as PostgreSQL does), never the password.
/// </summary>
internal static class UserCommand
{
    public static Command Create(TextWriter output, TextWriter error, TextReader? input = null)
    {
        var command = new Command("user", "Manage who may log in to the SQL endpoint (medallion serve).");
        command.Add(Add(output, error, input));
        command.Add(List(output));
        command.Add(Remove(output, error));
        command.Add(Role(output));
        return command;
    }

    private static Command Add(TextWriter output, TextWriter error, TextReader? input)
    {
        var name = new Argument<string>("name") { Description = "The login name (case-sensitive, as in PostgreSQL)." };
        Option<string> project = ProjectOption.Create();
        var role = new Option<string[]>("--role")
        {
            Description = "A role to give the user (medallion role create), repeatable; viewer or operator set what the user may do through the server's REST API instead.",
            AllowMultipleArgumentsPerToken = false,
        };
        var admin = new Option<bool>("--admin") { Description = "The user holds every data privilege: reads every table unmasked, and manages users and grants (what the user may do through the server's REST API is its server role: medallion user role)." };
        var attributes = new Option<string[]>("--attribute") { Description = "An attribute row filters read with user.attribute('name'), as name=value; repeatable." };
        var command = new Command("add", "Add a user, or change a user's password. The password is prompted for on a terminal (without echo) and read from standard input otherwise. A new user reads nothing until granted (medallion grant), unless added with --admin.")
        {
            name, project, role, admin, attributes,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string user = parsed.GetRequiredValue(name);
            if (user.Trim().Length == 0)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, "the user name is empty.");
            }

            string? password = input is not null || Console.IsInputRedirected
                ? await (input ?? Console.In).ReadLineAsync(cancellationToken).ConfigureAwait(false)
                : PromptTwice(user, error);
            if (string.IsNullOrEmpty(password))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, "no password given. Help: type it at the prompt, or pipe it: echo \"$PASSWORD\" | medallion user add " + user);
            }

            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string attribute in parsed.GetValue(attributes) ?? [])
            {
                int equals = attribute.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new MedallionException(ErrorCode.CommandLineInvalid, $"--attribute {attribute} is not name=value. Help: --attribute region=SP");
                }

                pairs[attribute[..equals]] = attribute[(equals + 1)..];
            }

            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            List<CatalogUser> before = await access.Service.ListUsersAsync(cancellationToken).ConfigureAwait(false);
            bool added = await access.Service.AddUserAsync(
                CliAccess.Actor,
                new UserRequest(user, password) { Roles = parsed.GetValue(role) ?? [], Admin = parsed.GetValue(admin), Attributes = pairs },
                cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(added ? $"Added user {user}." : $"Changed the password of user {user}.").ConfigureAwait(false);
            if (added && !parsed.GetValue(admin))
            {
                string hint = before.Any(u => u.IsAdmin)
                    ? $"{user} reads nothing until granted. Help: medallion grant select on <namespace> to {user}, or medallion grant <role> to {user}."
                    : $"{user} reads nothing until granted, and the project has no admin yet. Help: add one with medallion user add <name> --admin, and grant {user} what it may read: medallion grant select on <namespace> to {user}.";
                await output.WriteLineAsync(hint).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        Option<string> project = ProjectOption.Create();
        var command = new Command("list", "List the users who may log in.") { project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            List<CatalogUser> users = await access.Service.ListUsersAsync(cancellationToken).ConfigureAwait(false);
            foreach (CatalogUser user in users)
            {
                await output.WriteLineAsync($"{user.Name}\t{(user.IsAdmin ? "admin" : AccessService.ServerRoleName(user.Role))}\tadded {user.CreatedAt:yyyy-MM-dd HH:mm:ss}Z\tchanged {user.UpdatedAt:yyyy-MM-dd HH:mm:ss}Z").ConfigureAwait(false);
            }

            if (users.Count == 0)
            {
                await output.WriteLineAsync("No users. Help: medallion user add <name>").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command Remove(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("name") { Description = "The user to remove." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("remove", "Remove a user; sessions already open stay open until they disconnect.") { name, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string user = parsed.GetRequiredValue(name);
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            if (!await access.Service.RemoveUserAsync(CliAccess.Actor, user, cancellationToken).ConfigureAwait(false))
            {
                throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"there is no user {user}.");
            }

            await output.WriteLineAsync($"Removed user {user}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Role(TextWriter output)
    {
        var name = new Argument<string>("name") { Description = "The user." };
        var role = new Argument<ServerRole>("role") { Description = "viewer (reads jobs, runs and tables through the server) or operator (also triggers, cancels, reruns, backfills, pauses)." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("role", "Set what a user may do through the server's REST API.") { name, role, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string user = parsed.GetRequiredValue(name);
            ServerRole serverRole = parsed.GetValue(role);
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            await access.Service.SetServerRoleAsync(CliAccess.Actor, user, serverRole, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"User {user} is now {AccessService.ServerRoleName(serverRole)}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>Asks for the password twice on the terminal without echoing it; null when the two differ.</summary>
    private static string? PromptTwice(string user, TextWriter error)
    {
        string first = ReadHidden($"Password for {user}: ", error);
        string second = ReadHidden("Again: ", error);
        if (!string.Equals(first, second, StringComparison.Ordinal))
        {
            error.WriteLine("The passwords differ.");
            return null;
        }

        return first;
    }

    private static string ReadHidden(string prompt, TextWriter error)
    {
        error.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                error.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                password.Length = Math.Max(0, password.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }
}
