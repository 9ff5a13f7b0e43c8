using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

public sealed partial class JobScheduler
{
    /// <summary>The project as last loaded (at start or by <see cref="ReloadAsync"/>).</summary>
    public MedallionProject Project => _definitions.Project;

    /// <summary>The project as last loaded, its environment and its graph, read at once (consistent with each other).</summary>
    internal Definitions Loaded => _definitions;

    /// <summary>The environment of the project as last loaded: the host's catalog, engines, clock and logs with the newest definitions.</summary>
    public ProjectEnvironment Environment => _definitions.Environment;

    /// <summary>
    /// The last loaded project's parsed models (its <see cref="ModelGraph.Project"/> is that project): what the web pages
    /// browse, so a page neither reads the project's files nor parses its models again.
    /// </summary>
    public ModelGraph Graph => _definitions.Graph;

    /// <summary>
    /// Plans with a newly loaded project from now on: new jobs start being planned, removed jobs stop (their queued runs
    /// end cancelled when they would start), changed jobs plan with their new definition. Runs under way finish with
    /// the definitions they started with.
    /// </summary>
    /// <param name="project">The project, loaded again from its files.</param>
    /// <param name="cancellationToken">Cancels the reload; the scheduler then keeps the definitions it had.</param>
    /// <exception cref="MedallionException">The project's models do not parse or depend on each other in a circle; the
    /// scheduler keeps the definitions it had.</exception>
    public async Task ReloadAsync(MedallionProject project, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        // The graph is built before anything changes: a project whose models do not parse replaces nothing.
        ModelGraph graph = await ModelGraph.BuildAsync(project, cancellationToken: cancellationToken).ConfigureAwait(false);
        // Runs take the graph as registered (RunOptions.Graph) and register nothing themselves.
        await ProjectCatalog.RegisterAsync(graph, _catalog, cancellationToken).ConfigureAwait(false);
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _definitions = new Definitions(_definitions.Environment.WithProject(project), graph);
            DeclareMetrics();
            // Watched tables may now live elsewhere (storage changed) or no longer be watched.
            _watched.Clear();
            await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
            if (RenewsOwnPresence)
            {
                // A worker streams nothing, but leaves the tables the project's streams write to them.
                _executor.Streamed = StreamedTables(_definitions);
            }
        }
        finally
        {
            _state.Release();
        }

        Wake();
    }
}
