namespace Medallion.Delta.Transactions;

/// <summary>How strictly a transaction is checked against commits that won the race to the same version.</summary>
public enum DeltaIsolationLevel
{
    /// <summary>
    /// The default: writes are serializable, reads may see a state a concurrent blind append then extended.
    /// Blind appends by other writers never conflict with this transaction's reads.
    /// </summary>
    WriteSerializable,

    /// <summary>Reads and writes are serializable: any concurrent change to data this transaction read conflicts.</summary>
    Serializable,
}
