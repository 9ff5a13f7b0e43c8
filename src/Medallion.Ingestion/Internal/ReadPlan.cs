using System.Collections.Generic;

namespace Medallion.Ingestion.Internal;

/// <summary>A started read: how the columns land, the row reader (owning the connection), and the boundary tracker of an incremental read.</summary>
internal sealed record ReadPlan(IReadOnlyList<ColumnPlan> Columns, IRowReader Reader, BoundaryTracker? Tracker);
