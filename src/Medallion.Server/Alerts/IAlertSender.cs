using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Server.Alerts;

/// <summary>Delivers messages to one channel; throws when the channel did not take the message (the dispatcher retries).</summary>
internal interface IAlertSender
{
    /// <summary>The channel's name, for logs.</summary>
    string Name { get; }

    Task SendAsync(AlertMessage message, CancellationToken cancellationToken);
}
