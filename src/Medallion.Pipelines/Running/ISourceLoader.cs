using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine;

namespace Medallion.Pipelines.Running;

/// <summary>What loading one source did.</summary>
/// <param name="CommittedVersion">The version of the target table the load committed; null when there was nothing new.</param>
/// <param name="RowsLoaded">Rows written to the target table.</param>
/// <param name="Notes">Files loaded, rejected rows, warnings: what the user should see.</param>
internal sealed record SourceLoadOutcome(long? CommittedVersion, long RowsLoaded, IReadOnlyList<string> Notes);

/// <summary>Loads a file source into its bronze table (the seam the file source loader plugs into).</summary>
internal interface ISourceLoader
{
    /// <summary>
    /// Loads <paramref name="source"/> through the run's <paramref name="writer"/> (<see cref="RunContext.Writer"/>): its
    /// table's state is read through, and left in, the run's snapshots, its commit's retries go to the run's logs, and the
    /// run's commit fence may refuse the commit.
    /// </summary>
    Task<SourceLoadOutcome> LoadAsync(MedallionProject project, SourceDefinition source, DeltaWriter writer, string runId, TimeProvider time, CancellationToken cancellationToken);
}
