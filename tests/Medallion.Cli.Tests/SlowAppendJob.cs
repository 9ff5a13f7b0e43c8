namespace Medallion.Cli.Tests;

/// <summary>
/// A project whose job <c>once</c> (one retry) builds an append model that burns a few seconds before it commits
/// <see cref="Rows"/> rows: a stop or kill lands while it computes, and a second commit of the run would show as twice
/// the rows.
/// </summary>
internal static class SlowAppendJob
{
    public const int Rows = 1000;

    public static ServerProject CreateProject() => new ServerProject("""
        jobs:
          - name: once
            select: silver.ticks
            retries: 1
        """)
        .Write("models/silver/ticks.sql", $"/* ---\nmaterialized: append\n--- */\nSELECT range AS n, (SELECT sum(hash(r)) FROM range(600000000) t(r)) AS burn FROM range({Rows})\n");
}
