using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Access;
using Medallion.Platform.Audit;

namespace Medallion.Cli.Commands;

/// <summary>
/// A project's <see cref="AccessService"/> for one command, acting as the operating-system user from <c>cli</c>, with the
/// catalog and audit it stands on; disposing it closes both once the command's acts are written to the audit.
/// </summary>
internal sealed class CliAccess : IAsyncDisposable
{
    private readonly CatalogStore _catalog;
    private readonly AuditLog _audit;

    private CliAccess(CatalogStore catalog, AuditLog audit, string projectDirectory)
    {
        _catalog = catalog;
        _audit = audit;
        Service = new AccessService(catalog, audit, cancellationToken => Lakehouse.OpenAsync(projectDirectory, cancellationToken));
    }

    public AccessService Service { get; }

    /// <summary>Who acts: the person at the machine.</summary>
    public static AccessActor Actor => AccessActor.Cli;

    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectNotFound"/> when the folder is not a project.</exception>
    public static async Task<CliAccess> OpenAsync(string projectDirectory, CancellationToken cancellationToken)
    {
        CatalogStore catalog = await UserCommand.OpenCatalogAsync(projectDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            MedallionProject project = await MedallionProject.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new CliAccess(catalog, AuditLog.Open(project), projectDirectory);
        }
        catch
        {
            await catalog.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The command ends only once its acts are in the audit.
        await _audit.DisposeAsync().ConfigureAwait(false);
        await _catalog.DisposeAsync().ConfigureAwait(false);
    }
}
