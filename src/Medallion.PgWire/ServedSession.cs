using System;
using System.Threading.Tasks;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire;

/// <summary>A session opened for a user by <see cref="LakehouseSessionFactory.OpenUserSessionAsync(string, string?, System.Threading.CancellationToken)"/>; disposing it closes the session and lets go of the user's database.</summary>
public sealed class ServedSession : IAsyncDisposable
{
    private readonly Action? _release;
    private bool _disposed;

    internal ServedSession(LakehouseSession session, Action? release)
    {
        Session = session;
        _release = release;
    }

    /// <summary>The session, reading as the user may.</summary>
    public LakehouseSession Session { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await Session.DisposeAsync().ConfigureAwait(false);
        _release?.Invoke();
    }
}
