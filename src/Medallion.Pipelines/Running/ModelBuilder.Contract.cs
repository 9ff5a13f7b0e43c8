using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    /// <summary>
    /// Checks the shape of the model's result against its enforced contract (<c>contract: {enforced: true}</c>) before
    /// anything is computed: DuckDB describes the bound SELECT without running it. Every declared column must be there
    /// with its declared type, and no other column may be; otherwise the build fails naming each difference, and the
    /// table is unchanged. The change columns an incremental merge reads upstream are the build's, not the model's. (A
    /// model on Spark is checked the same way, on the columns Spark's analysis of its SELECT gives.)
    /// </summary>
    private async Task EnforceContractAsync(CancellationToken cancellationToken)
    {
        if (Config.Contract is not { Enforced: true } contract)
        {
            return;
        }

        string sql = await ModelSqlBinder.BindAsync(_connection, _model.Sql, UpstreamViews(), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<RelationColumn> result = [];
        await RunModelAsync(async () => result = await CheckContext.DescribeAsync(_connection, $"({sql})", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await EnforceContractAsync(result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks the columns of the model's result (<paramref name="result"/>, with types as DuckDB's <c>DESCRIBE</c> spells
    /// them, whichever engine described it) against its enforced contract; nothing when it has none.
    /// </summary>
    private async Task EnforceContractAsync(IReadOnlyList<RelationColumn> result, CancellationToken cancellationToken)
    {
        if (Config.Contract is not { Enforced: true } contract)
        {
            return;
        }

        var differences = new List<string>();
        foreach (ColumnDoc declared in Config.Columns)
        {
            (string? expected, DuckDbException? invalid) = await DeclaredType.CanonicalAsync(_connection, declared.DataType!, cancellationToken).ConfigureAwait(false);
            if (expected is null)
            {
                throw new MedallionException(
                    ErrorCode.ModelConfigInvalid,
                    $"{contract.Location}: the contract of model {_model.Name} declares column '{declared.Name}' as '{declared.DataType}', which is not a DuckDB type{(invalid is null ? "" : $" ({invalid.Message})")}.\nHelp: write a DuckDB type such as BIGINT, VARCHAR, DECIMAL(18,2), DATE or TIMESTAMP WITH TIME ZONE.",
                    invalid,
                    location: contract.Location);
            }

            if (CheckContext.Find(result, declared.Name) is not { } actual)
            {
                differences.Add($"column '{declared.Name}' ({expected}) is missing from the result");
            }
            else if (!string.Equals(expected, actual.Type, StringComparison.OrdinalIgnoreCase))
            {
                differences.Add($"column '{declared.Name}' is {actual.Type}, the contract says {expected}");
            }
        }

        foreach (RelationColumn extra in result.Where(c => !IsChangeColumn(c.Name) && !Config.Columns.Any(d => string.Equals(d.Name, c.Name, StringComparison.OrdinalIgnoreCase))))
        {
            differences.Add($"column '{extra.Name}' ({extra.Type}) is not in the contract");
        }

        if (differences.Count > 0)
        {
            throw new MedallionException(
                ErrorCode.ContractViolated,
                $"{contract.Location}: model {_model.Name} does not match its contract, so nothing ran or was committed: {string.Join("; ", differences)}.\nHelp: make the SELECT return the declared columns (CAST a column to its declared type), or change the contract, which changes the table for everyone who reads it.",
                location: contract.Location);
        }
    }
}
