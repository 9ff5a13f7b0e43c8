using System;
using System.Linq;
using Medallion.Platform.Observability;

namespace Medallion.Platform.Access;

public sealed partial class ReaderView
{
    /// <summary>
    /// A table's observation as the reader may see it: null when they may not read the table; else only the columns they
    /// read, and no minimum, maximum or distinct estimate of a column they read masked (those describe the stored values,
    /// and an estimate of a mask that merges values, partial or null, would say more than the reader's own queries can).
    /// </summary>
    public TableObservation? Show(TableObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (Find(observation.Table) is not { } access)
        {
            return null;
        }

        return Session is null ? observation : observation with
        {
            Columns = [.. observation.Columns
                .Where(c => CanRead(observation.Table, c.Column))
                .Select(c => access.Masks.ContainsKey(c.Column) ? c with { Min = null, Max = null, ApproxDistinct = null } : c)],
        };
    }
}
