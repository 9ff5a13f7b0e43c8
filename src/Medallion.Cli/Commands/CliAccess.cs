using System;
using System.IO;
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
    private readonly ProjectEnvironment _environment;

    private CliAccess(ProjectEnvironment environment, CatalogStore catalog, AuditLog audit)
    {
        _environment = environment;
        Catalog = catalog;
        Audit = audit;
        Service = new AccessService(catalog, audit, cancellationToken => Lakehouse.OpenAsync(environment, cancellationToken: cancellationToken));
    }

    public AccessService Service { get; }

    /// <summary>The project's catalog the service stands on.</summary>
    public CatalogStore Catalog { get; }

    /// <summary>The project's audit, where the service records acts (and a command may record what it ran).</summary>
    public AuditLog Audit { get; }

    /// <summary>The project, as loaded for the command.</summary>
    public MedallionProject Project => _environment.Project;

    /// <summary>The project's environment for the command: its catalog, engines and stores.</summary>
    public ProjectEnvironment Environment => _environment;

    /// <summary>Who acts: the person at the machine.</summary>
    public static AccessActor Actor => AccessActor.Cli;

    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectNotFound"/> when the folder is not a project.</exception>
    public static async Task<CliAccess> OpenAsync(string projectDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(projectDirectory, MedallionProject.FileName)))
        {
            throw new MedallionException(ErrorCode.ProjectNotFound,
                $"{projectDirectory} is not a Medallion project (no {MedallionProject.FileName}); users are kept in a project's catalog. Help: run this in the project folder or pass --project <dir>.");
        }

        ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            return new CliAccess(environment, catalog, AuditLog.Open(environment.Project));
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What <paramref name="user"/> reads of the project's tables: which tables, columns and rows, and the masks.</summary>
    /// <exception cref="MedallionException">The user does not exist.</exception>
    public async Task<ReaderView> ReaderViewAsync(string user, CancellationToken cancellationToken)
    {
        await Service.RequireUserAsync(user, cancellationToken).ConfigureAwait(false);
        return await Service.ReaderViewAsync(user, await _environment.GetTableLocatorAsync(cancellationToken: cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The project's lakehouse as <paramref name="user"/> reads it: every answer holds only what <see cref="ReaderViewAsync"/> allows.</summary>
    /// <exception cref="MedallionException">The user does not exist.</exception>
    public async Task<Lakehouse> OpenLakehouseAsAsync(string user, CancellationToken cancellationToken) =>
        await Lakehouse.OpenAsync(_environment, reader: await ReaderViewAsync(user, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        // The command ends only once its acts are in the audit.
        await Audit.DisposeAsync().ConfigureAwait(false);
        await _environment.DisposeAsync().ConfigureAwait(false);
    }
}
