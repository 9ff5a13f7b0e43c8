using System.Collections.Generic;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// The protocol transaction of one connection, as ReadyForQuery reports it: idle, in a block, or in a failed block
/// (where only ROLLBACK is accepted); its savepoints; and whether the catalog emulation was installed inside the block,
/// which a rollback takes away again. It holds state only: the connection runs DuckDB's BEGIN, COMMIT and ROLLBACK.
/// </summary>
internal sealed class TransactionBlock
{
    private readonly List<string> _savepoints = [];

    /// <summary>ReadyForQuery's indicator: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.</summary>
    public char Status { get; private set; } = 'I';

    /// <summary>Whether a block is open (failed or not).</summary>
    public bool IsOpen => Status != 'I';

    /// <summary>Whether the open block failed: statements are refused until it ends.</summary>
    public bool IsFailed => Status == 'E';

    /// <summary>Whether the catalog emulation was made inside the open block.</summary>
    public bool CatalogInstalledInBlock { get; private set; }

    /// <summary>A block opens (BEGIN).</summary>
    public void Begin() => Status = 'T';

    /// <summary>A statement failed: an open block becomes failed; outside a block nothing stays.</summary>
    public void Fail()
    {
        if (Status == 'T')
        {
            Status = 'E';
        }
    }

    /// <summary>The block ends (COMMIT, ROLLBACK): what it was, so the caller commits only a block that did not fail.</summary>
    /// <returns>Whether the block had failed, and whether the catalog emulation it installed goes with it when it is rolled back.</returns>
    public (bool Failed, bool CatalogInstalledInBlock) End()
    {
        (bool, bool) ended = (IsFailed, CatalogInstalledInBlock);
        Status = 'I';
        _savepoints.Clear();
        CatalogInstalledInBlock = false;
        return ended;
    }

    /// <summary>The catalog emulation was just installed: inside the block when one is open.</summary>
    public void CatalogInstalled() => CatalogInstalledInBlock = IsOpen;

    /// <summary>SAVEPOINT name.</summary>
    public void AddSavepoint(string name) => _savepoints.Add(name);

    /// <summary>ROLLBACK TO name: later savepoints go; a failed block is usable again (the caller restarts DuckDB's transaction).</summary>
    /// <returns>Whether the block had failed.</returns>
    public bool RollbackTo(string name)
    {
        int at = Find(name);
        _savepoints.RemoveRange(at + 1, _savepoints.Count - at - 1);
        bool failed = IsFailed;
        Status = IsOpen ? 'T' : Status;
        return failed;
    }

    /// <summary>RELEASE name: it and the savepoints after it go.</summary>
    public void Release(string name)
    {
        int at = Find(name);
        _savepoints.RemoveRange(at, _savepoints.Count - at);
    }

    private int Find(string name)
    {
        int at = _savepoints.LastIndexOf(name);
        return at >= 0 ? at : throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.InvalidSavepointSpecification, $"savepoint \"{name}\" does not exist");
    }
}
