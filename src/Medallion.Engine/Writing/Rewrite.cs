using System.Collections.Generic;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;

namespace Medallion.Engine.Writing;

/// <summary>The result of a copy-on-write rewrite: the files it touched, the files holding their kept rows, and row counts.</summary>
internal sealed record Rewrite(List<ScanFile> Touched, List<AddFile> Adds, long MatchedRows, long CopiedRows);
