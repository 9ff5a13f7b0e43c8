using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine.Sessions;
using Medallion.Platform.Audit;

namespace Medallion.Cli.Shell;

/// <summary>
/// Records what <c>medallion sql</c> runs in a project into the project's audit: the operating-system user, from
/// <c>shell</c>, each statement with what it read, its rows, time and outcome. Outside a project nothing is audited
/// (there is no lake to audit).
/// </summary>
internal sealed class ShellAudit(AuditLog? audit, LakehouseSession session, string user)
{
    /// <summary>Runs <paramref name="run"/> (which returns the rows it printed) and records it, however it ends.</summary>
    public async Task<T> RunAsync<T>(string sql, Func<Task<(T Result, long Rows)>> run)
    {
        if (audit is null)
        {
            return (await run().ConfigureAwait(false)).Result;
        }

        AuditEvent record = AuditEvent.Statement(user, "shell", "shell", sql);
        Stopwatch elapsed = Stopwatch.StartNew();
        try
        {
            (T result, long rows) = await run().ConfigureAwait(false);
            record = record with { Rows = rows };
            return result;
        }
        catch (Exception exception)
        {
            record = record with
            {
                Outcome = exception is OperationCanceledException ? "cancelled" : "error",
                ErrorCode = exception is MedallionException medallion ? medallion.CodeText : null,
                ErrorMessage = exception.Message,
            };
            throw;
        }
        finally
        {
            StatementReads reads = session.LastReads;
            await audit.RecordAsync(record with { Tables = reads.Tables, Columns = reads.Columns, Duration = elapsed.Elapsed }, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
