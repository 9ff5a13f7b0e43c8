using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines.Alerts;

namespace Medallion.Server.Web;

/// <summary>A table past its <c>freshness</c> rule: when it last committed (null: never), how long ago, and the limit it passed.</summary>
internal sealed record StaleTable(TableName Table, DateTimeOffset? CommittedAt, TimeSpan? Age, TimeSpan Limit, bool Error);

/// <summary>Which tables are past their <c>freshness</c> rules, as the home page lists them and the lineage graph marks them.</summary>
internal static class TableFreshness
{
    /// <summary>The readable tables with a freshness rule whose newest commit is older than its warn or error limit, worst first.</summary>
    public static async Task<List<StaleTable>> StaleTablesAsync(ServerContext server, Platform.Access.ReaderView access, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<TableName, FreshnessPolicy> rules = server.Project.Freshness;
        if (rules.Count == 0)
        {
            return [];
        }

        Dictionary<TableName, TableState> states = (await server.Catalog.Tables.GetTableStatesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Table);
        var stale = new List<StaleTable>();
        foreach ((TableName table, FreshnessPolicy rule) in rules)
        {
            if (!access.CanRead(table))
            {
                continue;
            }

            TimeSpan? age = states.TryGetValue(table, out TableState? state) ? now - state.CommittedAt : null;
            if (rule.ErrorAfter is { } error && (age is null || age > error))
            {
                stale.Add(new StaleTable(table, state?.CommittedAt, age, error, Error: true));
            }
            else if (rule.WarnAfter is { } warn && (age is null || age > warn))
            {
                stale.Add(new StaleTable(table, state?.CommittedAt, age, warn, Error: false));
            }
        }

        return [.. stale.OrderByDescending(t => t.Error).ThenByDescending(t => t.Age ?? TimeSpan.MaxValue)];
    }
}
