using System;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Logging;

namespace Medallion.Server;

/// <summary>
/// The server's entry in the catalog's servers table: written at start, renewed every heartbeat interval with what its
/// scheduler does then, and removed at a clean stop. Whoever reads the catalog (another server, <c>/api/servers</c>)
/// sees every server and which went silent. Each heartbeat also forgets servers silent for a day, so crashes do not
/// pile up in the list.
/// </summary>
internal sealed partial class ServerPresence : IAsyncDisposable
{
    /// <summary>How long a silent server stays listed (as silent) before any server forgets it.</summary>
    internal static readonly TimeSpan ForgetAfter = TimeSpan.FromDays(1);

    /// <summary>The Medallion version a server reports.</summary>
    internal static string Version { get; } =
        typeof(ServerPresence).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly JobScheduler _scheduler;
    private readonly Uri _httpAddress;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private ServerPresence(JobScheduler scheduler, Uri httpAddress, TimeSpan interval, TimeProvider time, ILogger log)
    {
        _scheduler = scheduler;
        _httpAddress = httpAddress;
        _interval = interval;
        _time = time;
        _log = log;
    }

    /// <summary>Reports the server (so it is listed once started) and keeps reporting it every <paramref name="interval"/>.</summary>
    public static async Task<ServerPresence> StartAsync(JobScheduler scheduler, Uri httpAddress, TimeSpan interval, TimeProvider time, ILogger log, CancellationToken cancellationToken)
    {
        var presence = new ServerPresence(scheduler, httpAddress, interval, time, log);
        await presence.ReportAsync(cancellationToken).ConfigureAwait(false);
        presence._loop = Task.Run(presence.LoopAsync, CancellationToken.None);
        return presence;
    }

    private Task ReportAsync(CancellationToken cancellationToken) =>
        _scheduler.Catalog.Servers.ReportAsync(_scheduler.Holder, SchedulerRoleNames.Of(_scheduler.Role), Version, _httpAddress, cancellationToken);

    private async Task LoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interval, _time, stop).ConfigureAwait(false);
                // A worker moves its own heartbeat, and never lists itself again: once a scheduler took its runs back
                // (and its entry with them) it must find out, not be listed anew.
                if (!_scheduler.RenewsOwnPresence)
                {
                    await ReportAsync(stop).ConfigureAwait(false);
                }

                await _scheduler.Catalog.Servers.ForgetSilentAsync(ForgetAfter, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The catalog is down or locked this time: the server lives on, and reports again at the next interval.
                LogReportFailed(_log, e.Message);
            }
        }
    }

    /// <summary>Stops reporting and removes the server from the list (a clean stop is not a silence).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            await _scheduler.Catalog.Servers.RemoveAsync(_scheduler.Holder.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MedallionException e)
        {
            // Left listed: it reads as silent, and is forgotten within a day.
            LogReportFailed(_log, e.Message);
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = 9531, Level = LogLevel.Warning, Message = "The server could not report itself in the catalog's servers table: {Error}; it tries again at the next heartbeat.")]
    private static partial void LogReportFailed(ILogger logger, string error);
}
