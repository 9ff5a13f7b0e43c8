using Medallion.Pipelines.Tests;

namespace Medallion.Server.Tests;

/// <summary>
/// A project whose job <c>sliced</c> backfills daily intervals of <c>silver.sliced</c>. Day n of January holds n events. The
/// interval of 1 January is quick; every later one counts to 20 billion first, so it is still running when a test cancels it.
/// </summary>
public static class SlicedBackfillProject
{
    private const string SlicedModel = """
        /* ---
        materialized: append
        interval_column: day
        --- */
        SELECT id, CAST(day AS DATE) AS day
        FROM bronze.events, (
            SELECT count(*) AS n FROM range(CASE WHEN getvariable('interval_start') < TIMESTAMPTZ '2026-01-02 00:00:00+00' THEN 1 ELSE 20000000000 END) t(i) WHERE i % 7 = 3
        ) AS slow
        WHERE CAST(day AS DATE) >= getvariable('interval_start') AND CAST(day AS DATE) < getvariable('interval_end') AND slow.n >= 0
        """;

    /// <summary>Writes the source, its events, the model and the job into the served project.</summary>
    public static void Define(TestProject files) => files
        .Write("sources/events.yml", "sources:\n  - name: events\n    format: csv\n    path: data/events/*.csv\n    target: bronze.events\n")
        .Write("data/events/1.csv", "id,day\n11,2026-01-01\n21,2026-01-02\n22,2026-01-02\n31,2026-01-03\n32,2026-01-03\n33,2026-01-03\n")
        .Write("models/silver/sliced.sql", SlicedModel)
        .Write("jobs/sliced.yml", "jobs:\n  - name: sliced\n    select: +silver.sliced\n    schedule: \"@daily\"\n    catchup: none\n");
}
