using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// The extended query protocol's objects of one connection: its prepared statements and portals by name (the unnamed
/// ones under ""), and whether messages are skipped until Sync after an error. It holds state and the protocol's rules
/// about names; the connection runs the statements.
/// </summary>
internal sealed class ExtendedQueryState
{
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Portal> _portals = new(StringComparer.Ordinal);

    /// <summary>Whether an error in the extended protocol has the connection skip messages until Sync.</summary>
    public bool SkippingUntilSync { get; private set; }

    /// <summary>A message failed: what follows is skipped until Sync.</summary>
    public void Fail() => SkippingUntilSync = true;

    /// <summary>Sync ends the skipping.</summary>
    public void Sync() => SkippingUntilSync = false;

    /// <summary>Parse: a named statement must be new; the unnamed one is replaced.</summary>
    public void AddStatement(string name, PreparedStatement statement)
    {
        if (name.Length > 0 && _statements.ContainsKey(name))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.DuplicatePreparedStatement, $"prepared statement \"{name}\" already exists");
        }

        _statements[name] = statement;
    }

    public PreparedStatement Statement(string name) =>
        _statements.GetValueOrDefault(name)
        ?? throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.InvalidSqlStatementName, $"prepared statement \"{name}\" does not exist");

    /// <summary>Close or DEALLOCATE of one statement; whether it existed.</summary>
    public bool RemoveStatement(string name) => _statements.Remove(name);

    /// <summary>DEALLOCATE ALL, DISCARD ALL.</summary>
    public void RemoveAllStatements() => _statements.Clear();

    public Portal Portal(string name) =>
        _portals.GetValueOrDefault(name)
        ?? throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.InvalidCursorName, $"portal \"{name}\" does not exist");

    /// <summary>Bind: a named portal must be new; the unnamed one replaces (and closes) the one before it.</summary>
    public async ValueTask AddPortalAsync(string name, Portal portal)
    {
        if (_portals.TryGetValue(name, out Portal? previous))
        {
            if (name.Length > 0)
            {
                throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.DuplicateCursor, $"portal \"{name}\" already exists");
            }

            _portals.Remove(name);
            await previous.DisposeAsync().ConfigureAwait(false);
        }

        _portals[name] = portal;
    }

    /// <summary>Close of one portal (closing one that does not exist is not an error).</summary>
    public async ValueTask ClosePortalAsync(string name)
    {
        if (_portals.Remove(name, out Portal? portal))
        {
            await portal.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the portals, as the end of a transaction does; with <paramref name="exceptRunning"/>, one whose command is
    /// the statement running now stays (DISCARD ALL run through a portal: its caller disposes it).
    /// </summary>
    public async ValueTask CloseAllPortalsAsync(bool exceptRunning = false)
    {
        var kept = new List<KeyValuePair<string, Portal>>();
        foreach (KeyValuePair<string, Portal> entry in _portals)
        {
            if (exceptRunning && entry.Value.Reader is null && entry.Value.Columns is null)
            {
                kept.Add(entry);
                continue;
            }

            await entry.Value.DisposeAsync().ConfigureAwait(false);
        }

        _portals.Clear();
        foreach ((string name, Portal portal) in kept)
        {
            _portals[name] = portal;
        }
    }

    /// <summary>This server keeps one open result per session: a portal other than <paramref name="portal"/> still reading is refused.</summary>
    public void EnsureNoOtherOpenReader(Portal? portal)
    {
        foreach ((string name, Portal other) in _portals)
        {
            if (other.Reader is not null && !ReferenceEquals(other, portal))
            {
                throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.FeatureNotSupported,
                    $"portal \"{name}\" is still open: this server runs one open result per session. Help: fetch it to the end or close it first.");
            }
        }
    }
}
