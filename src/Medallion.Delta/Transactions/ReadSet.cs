using System;
using System.Collections.Generic;
using Medallion.Delta.Scans;

namespace Medallion.Delta.Transactions;

/// <summary>
/// What a transaction read, for conflict detection: the whole table, or the files matching some predicates
/// (partition values and statistics decide, conservatively), plus the exact files it read.
/// </summary>
public sealed class ReadSet
{
    private readonly List<ScanPredicate> _predicates = [];
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    /// <summary>True when the whole table was read: any concurrent data change conflicts.</summary>
    public bool WholeTable { get; private set; }

    /// <summary>The table-relative (decoded) paths of the files read; a concurrent removal of one conflicts.</summary>
    public IReadOnlySet<string> Files => _files;

    /// <summary>The predicates the read rows matched; a concurrent file that may hold matching rows conflicts.</summary>
    public IReadOnlyList<ScanPredicate> Predicates => _predicates;

    /// <summary>True when nothing was read (a blind append).</summary>
    public bool IsEmpty => !WholeTable && _predicates.Count == 0 && _files.Count == 0;

    /// <summary>Records that the whole table was read.</summary>
    public void AddWholeTable() => WholeTable = true;

    /// <summary>Records that the rows matching <paramref name="predicate"/> were read; <see langword="null"/> means the whole table.</summary>
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

    /// <summary>Records that the file at <paramref name="path"/> (table-relative, decoded) was read.</summary>
    public void AddFile(string path) => _files.Add(path ?? throw new ArgumentNullException(nameof(path)));
}
