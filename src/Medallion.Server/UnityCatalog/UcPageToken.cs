using System;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.UnityCatalog;

/// <summary>
/// The opaque <c>page_token</c> of a listing: the last name of the page before, for the listing and the user it was
/// given to, sealed by the server's data-protection keys (those of the web UI's cookies, kept in the project), so a
/// client can neither forge one nor carry one to another listing or user. Paging by name keeps its place when tables
/// are added or dropped between pages.
/// </summary>
internal sealed class UcPageToken(IDataProtectionProvider keys)
{
    private readonly IDataProtector _protector = keys.CreateProtector("Medallion.UnityCatalog.PageToken.v1");

    /// <summary>The tokens of the server answering <paramref name="http"/>, issued to its signed-in user.</summary>
    public static UcPageToken Of(HttpContext http) => new(http.RequestServices.GetRequiredService<IDataProtectionProvider>());

    /// <summary>The signed-in user of <paramref name="http"/> a token is issued to (empty when none).</summary>
    public static string UserOf(HttpContext http) => http.User.Identity?.Name ?? string.Empty;

    /// <summary>
    /// Where a page of <paramref name="listing"/> resumes for the request's user: the start without a token (true, null),
    /// else the name the token holds; false for a token this server did not give for this listing and user.
    /// </summary>
    public static bool TryResume(HttpContext http, string? token, string listing, out string? after)
    {
        after = string.IsNullOrEmpty(token) ? null : Of(http).TryRead(token, listing, UserOf(http));
        return string.IsNullOrEmpty(token) || after is not null;
    }

    /// <summary>A token that resumes the listing <paramref name="listing"/> of <paramref name="user"/> after <paramref name="after"/>.</summary>
    public string Issue(string listing, string user, string after) =>
        _protector.Protect(string.Join('\n', listing, user, after));

    /// <summary>The name the page resumes after, or null when the token was not issued by this server for this listing and user.</summary>
    public string? TryRead(string token, string listing, string user)
    {
        string plain;
        try
        {
            plain = _protector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }

        string[] parts = plain.Split('\n');
        return parts.Length == 3 && string.Equals(parts[0], listing, StringComparison.Ordinal) && string.Equals(parts[1], user, StringComparison.Ordinal)
            ? parts[2]
            : null;
    }
}
