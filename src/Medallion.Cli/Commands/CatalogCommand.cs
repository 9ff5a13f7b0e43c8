using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Browsing;
using Medallion.Cli.Output;
using Medallion.Pipelines;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion catalog migrate|copy</c>: the catalog itself, as its operator sees it. <c>migrate</c> brings it to this
/// Medallion's schema on its own (a deployment's step before servers start, as <c>airflow db migrate</c>); <c>copy</c>
/// moves a project's SQLite catalog into the PostgreSQL database that several servers will share.
/// </summary>
internal static class CatalogCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("catalog", "Migrate the project's catalog, or copy it to another database (a SQLite file to PostgreSQL).");
        command.Add(Migrate(output));
        command.Add(Copy(output));
        return command;
    }

    private static Command Migrate(TextWriter output)
    {
        Option<string> project = ProjectOption.Create();
        var command = new Command("migrate", "Bring the catalog to this Medallion's schema (servers and commands also do on open); a catalog written by a newer Medallion is refused.") { project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(ProjectOption.Resolve(parsed, project), cancellationToken: cancellationToken).ConfigureAwait(false);
            CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            int version = await catalog.GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
            string done = catalog.OpenedAtVersion == version
                ? $"was already at schema version {version}; nothing to do."
                : catalog.OpenedAtVersion == 0
                    ? $"was created at schema version {version}."
                    : $"was migrated from schema version {catalog.OpenedAtVersion} to {version}.";
            await output.WriteLineAsync($"The catalog {catalog.Path} {done}").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Copy(TextWriter output)
    {
        var to = new Option<string>("--to")
        {
            Description = "Where to copy the catalog: a postgres:// URL (write the password as ${PGPASSWORD}, in single quotes, to read it from the environment) or a SQLite file. It must hold no records.",
            Required = true,
            HelpName = "location",
        };
        Option<string> project = ProjectOption.Create();
        var command = new Command("copy", "Copy every record of the project's catalog into an empty one (stop the servers first), checked by counts; the project keeps using its catalog until medallion.yml names the new one.") { to, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(ProjectOption.Resolve(parsed, project), cancellationToken: cancellationToken).ConfigureAwait(false);
            CatalogStore source = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            string location = parsed.GetRequiredValue(to);
            await using CatalogStore target = await CatalogStore.OpenAsync(CatalogStore.IsDatabaseUrl(location) ? location : Path.GetFullPath(location), environment.Time, environment.Logs, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<CatalogTableCopy> copied = await CatalogCopy.CopyAsync(source, target, cancellationToken).ConfigureAwait(false);
            TextTable.Write(
                output,
                ["table", "rows", "copied"],
                [false, true, true],
                copied.Select(c => new[] { c.Table, BrowsingText.Count(c.Rows), BrowsingText.Count(c.Copied) }).ToList());
            long rows = copied.Sum(c => c.Copied);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Copied {rows:N0} rows of {source.Path} to {target.Path}; every table's count matches.\nNext: name the new catalog in {MedallionProject.FileName} ('catalog: ' and the --to location, its password written as ${{PGPASSWORD}}) or in {MedallionProject.CatalogVariable}, then start the servers.")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
