using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.PgWire;

/// <summary>The users a project's catalog keeps (<c>medallion user add</c>): their SCRAM-SHA-256 verifiers, read on each login.</summary>
public sealed class CatalogUserStore : IPgUserStore
{
    private readonly CatalogStore _catalog;

    /// <summary>Creates a store over an open catalog (owned by the caller).</summary>
    public CatalogUserStore(CatalogStore catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindScramVerifierAsync(string user, CancellationToken cancellationToken = default) =>
        await _catalog.Identity.FindUserVerifierAsync(user, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> IsAdminAsync(string user, CancellationToken cancellationToken = default) =>
        (await _catalog.Access.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false))?.IsAdmin ?? false;
}
