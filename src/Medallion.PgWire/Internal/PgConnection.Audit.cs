using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>Reporting each client statement's end to <see cref="PgWireServerOptions.StatementCompleted"/>.</summary>
internal sealed partial class PgConnection
{
    /// <summary>Reports a portal's statement once, when it ends; a failure is reported with the SQLSTATE the client gets.</summary>
    private async ValueTask AuditAsync(Portal portal, Exception? error)
    {
        if (Options.StatementCompleted is not { } sink || portal.Audited || _startup is null || portal.Statement.Statement is not { } statement)
        {
            return;
        }

        portal.Audited = true;
        (long timestamp, DateTimeOffset at) = portal.Started ?? (Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow);
        PgError? pg = error is null ? null : ErrorMapper.Map(error);
        string outcome = pg is null ? "ok" : error is OperationCanceledException || pg.Value.SqlState == SqlState.QueryCanceled ? "cancelled" : "error";
        var record = new PgStatementRecord(_startup.User, _startup.RemoteEndPoint, at, statement.Text, portal.Reads, portal.RowsSent,
            Stopwatch.GetElapsedTime(timestamp), outcome, pg?.SqlState, pg?.Message);
        // The client's going away does not cancel its audit: the event is still recorded.
        await sink(record, CancellationToken.None).ConfigureAwait(false);
    }
}
