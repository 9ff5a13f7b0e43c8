using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform.Access;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion token create|list|revoke</c>: API tokens for the server's REST API, for scripts and CI where a
/// password does not belong. The secret is printed once; the catalog keeps its hash.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("token", "Manage API tokens of the server's REST API (Authorization: Bearer <token>).");
        command.Add(CreateToken(output, error));
        command.Add(List(output));
        command.Add(Revoke(output));
        return command;
    }

    private static Command CreateToken(TextWriter output, TextWriter error)
    {
        var user = new Option<string>("--user") { Description = "The user the token acts as (with that user's role).", Required = true };
        var expires = new Option<string>("--expires") { Description = "How long the token works, e.g. 90d, 12h, 30min; 'never' for no end.", DefaultValueFactory = _ => AccessService.DefaultTokenLifetime, HelpName = "duration" };
        Option<string> project = ProjectOption.Create();
        var command = new Command("create", "Create a token and print its secret (shown this once).") { user, expires, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string lifetime = parsed.GetRequiredValue(expires);
            if (!AccessService.TryParseTokenLifetime(lifetime, out TimeSpan? duration))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--expires '{lifetime}' is not a duration. Help: write it like 90d, 12h or 30min, or 'never'.");
            }

            DateTimeOffset? expiresAt = DateTimeOffset.UtcNow + duration;
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            (ApiToken token, string secret) = await access.Service.CreateTokenAsync(CliAccess.Actor, parsed.GetRequiredValue(user), expiresAt, cancellationToken).ConfigureAwait(false);
            await error.WriteLineAsync($"Created token {token.Id} for {token.User}, {(expiresAt is { } at ? $"expiring {at:yyyy-MM-dd HH:mm}Z" : "never expiring")}. Keep the secret below: it is not shown again.").ConfigureAwait(false);
            await output.WriteLineAsync(secret).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        var user = new Option<string?>("--user") { Description = "Only this user's tokens." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("list", "List tokens (never their secrets).") { user, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            List<ApiToken> tokens = await access.Service.ListTokensAsync(parsed.GetValue(user), cancellationToken).ConfigureAwait(false);
            foreach (ApiToken token in tokens)
            {
                string state = token.RevokedAt is { } revoked ? $"revoked {revoked:yyyy-MM-dd HH:mm}Z"
                    : token.ExpiresAt is { } expiry ? (expiry <= DateTimeOffset.UtcNow ? "expired" : "expires") + $" {expiry:yyyy-MM-dd HH:mm}Z"
                    : "never expires";
                string used = token.LastUsedAt is { } last ? $"last used {last:yyyy-MM-dd HH:mm}Z" : "never used";
                await output.WriteLineAsync($"{token.Id}\t{token.User}\tcreated {token.CreatedAt:yyyy-MM-dd HH:mm}Z\t{state}\t{used}").ConfigureAwait(false);
            }

            if (tokens.Count == 0)
            {
                await output.WriteLineAsync("No tokens. Help: medallion token create --user <name>").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command Revoke(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "The token's id, as token list shows it." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("revoke", "Revoke a token; it stops working at once.") { id, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string tokenId = parsed.GetRequiredValue(id);
            await using CliAccess access = await CliAccess.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            if (!await access.Service.RevokeTokenAsync(CliAccess.Actor, tokenId, cancellationToken).ConfigureAwait(false))
            {
                throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"there is no unrevoked token {tokenId}.\nHelp: 'medallion token list' shows the tokens.");
            }

            await output.WriteLineAsync($"Revoked token {tokenId}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

}
