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
    private CliAccess(CatalogStore catalog, AuditLog audit, MedallionProject project)
    {
        Catalog = catalog;
        Audit = audit;
        Project = project;
        Service = new AccessService(catalog, audit, cancellationToken => Lakehouse.OpenAsync(project.Directory, cancellationToken));
    }

    public AccessService Service { get; }

    /// <summary>The project's catalog the service stands on.</summary>
    public CatalogStore Catalog { get; }

    /// <summary>The project's audit, where the service records acts (and a command may record what it ran).</summary>
    public AuditLog Audit { get; }

    /// <summary>The project, as loaded for the command.</summary>
    public MedallionProject Project { get; }

    /// <summary>Who acts: the person at the machine.</summary>
    public static AccessActor Actor => AccessActor.Cli;

    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectNotFound"/> when the folder is not a project.</exception>
    public static async Task<CliAccess> OpenAsync(string projectDirectory, CancellationToken cancellationToken)
    {
        CatalogStore catalog = await UserCommand.OpenCatalogAsync(projectDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            MedallionProject project = await MedallionProject.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new CliAccess(catalog, AuditLog.Open(project), project);
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
        await Audit.DisposeAsync().ConfigureAwait(false);
        await Catalog.DisposeAsync().ConfigureAwait(false);
    }
}
