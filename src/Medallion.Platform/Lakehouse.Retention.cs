using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Platform.Privacy;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// Deletes the rows older than each model's <c>retention</c> (and the same rows of its quarantine table), one DELETE
    /// commit per table that has any; the files they leave go with the table's next VACUUM. Every physical table of the
    /// model is kept to it: prod's, each environment's own, the sets kept for rollback and those awaiting the janitor
    /// (each named in its outcome, see <see cref="RetentionOutcome.Environments"/>), so no environment keeps what prod
    /// may no longer hold. The server runs this daily.
    /// </summary>
    /// <param name="now">The moment the retention is measured from.</param>
    /// <param name="dryRun">Count the rows that would go; delete nothing.</param>
    /// <param name="cancellationToken">Stops the pass between tables.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelConfigInvalid"/> when a retention column is missing from prod's table, naming where the retention is written.</exception>
    public async Task<IReadOnlyList<RetentionOutcome>> ApplyRetentionAsync(DateTimeOffset now, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var outcomes = new List<RetentionOutcome>();
        DeltaWriter writer = NewWriter();
        List<PhysicalTable> physical = await PhysicalTablesAsync(cancellationToken).ConfigureAwait(false);
        foreach (ModelDefinition model in Project.Models.Where(m => m.Config.Retention is not null))
        {
            var policy = model.Config.Retention!;
            DateTimeOffset cutoff = policy.Cutoff(now);
            var quarantine = new TableName(model.Name.Namespace, model.Name.Name + QuarantineSuffix);
            foreach (PhysicalTable table in physical.Where(t => t.Name.Equals(model.Name) || t.Name.Equals(quarantine)))
            {
                if (await ScanLocationAsync(table.Location, cancellationToken).ConfigureAwait(false) is not { } scan)
                {
                    continue;
                }

                if (!scan.Snapshot.Schema.Fields.Any(f => string.Equals(f.Name, policy.Column, StringComparison.OrdinalIgnoreCase)))
                {
                    // A quarantine table, or another environment's version of the model built before the column was
                    // there (its own build will be checked when it is promoted): nothing dates its rows.
                    if (table.Name.Equals(quarantine) || table.Environments.Count > 0)
                    {
                        continue;
                    }

                    throw new MedallionException(ErrorCode.ModelConfigInvalid,
                        $"{policy.Location}: retention column '{policy.Column}' is not a column of {table.Name} ({string.Join(", ", scan.Snapshot.Schema.Fields.Select(f => f.Name))}).\nHelp: name the DATE or TIMESTAMP column that dates each row.",
                        location: policy.Location);
                }

                string predicate = $"CAST({DuckDbConnection.QuoteIdentifier(policy.Column)} AS TIMESTAMPTZ) < TIMESTAMPTZ '{cutoff.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}+00'";
                long rows;
                long? committed = null;
                if (dryRun)
                {
                    using DuckDbCommand command = Connection.CreateCommand();
                    command.CommandText = $"SELECT count(*) FROM {scan.Relation} AS target WHERE {predicate}";
                    rows = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                }
                else
                {
                    DeltaOperationResult result = await writer.DeleteAsync(table.Location, predicate, cancellationToken).ConfigureAwait(false);
                    rows = result.RowsAffected;
                    committed = result.Committed ? result.Version : null;
                }

                outcomes.Add(new RetentionOutcome(table.Name, policy.Column, policy.Keep, cutoff, rows, committed) { Environments = table.Environments });
            }
        }

        return outcomes;
    }
}
