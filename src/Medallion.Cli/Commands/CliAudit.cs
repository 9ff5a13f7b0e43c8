using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;
using Medallion.Platform.Audit;

namespace Medallion.Cli.Commands;

/// <summary>Records an administrative act taken with the CLI (by the operating-system user, from <c>cli</c>) in the project's audit.</summary>
internal static class CliAudit
{
    /// <summary>Records the act and waits until it is written: the command ends only once its act is in the audit.</summary>
    /// <param name="projectDirectory">The project whose audit records it.</param>
    /// <param name="action">The act, <c>area.verb</c> (<c>user.add</c>).</param>
    /// <param name="target">What it acted on.</param>
    /// <param name="details">More about it, as JSON text, or null.</param>
    /// <param name="cancellationToken">Stops loading the project.</param>
    public static async Task RecordAsync(string projectDirectory, string action, string target, string? details, CancellationToken cancellationToken)
    {
        MedallionProject project = await MedallionProject.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        AuditLog audit = AuditLog.Open(project);
        await using (audit.ConfigureAwait(false))
        {
            audit.Record(AuditEvent.Admin(Environment.UserName, "cli", "cli", action, target) with { Details = details });
        }
    }
}
