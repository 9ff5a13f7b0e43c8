using System;
using System.Collections.Generic;
using Medallion.Delta.Scans;

namespace Medallion.Delta.Transactions;

/// <summary>
/// What a transaction read, for conflict detection: the whole table, or the files matching some predicates
/// (partition values and statistics decide, conservatively), plus the exact files it read.
/// </summary>
internal sealed class ReadSet
{
    private readonly List<ScanPredicate> _predicates = [];

    public bool WholeTable { get; private set; }

    public HashSet<string> Files { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<ScanPredicate> Predicates => _predicates;

    public bool IsEmpty => !WholeTable && _predicates.Count == 0 && Files.Count == 0;

    public void AddWholeTable() => WholeTable = true;

    public void AddPredicate(ScanPredicate? predicate)
    {
        if (predicate is null)
        {
            WholeTable = true;
        }
        else
        {
            _predicates.Add(predicate);
        }
    }

    public void AddFile(string path) => Files.Add(path);
}
