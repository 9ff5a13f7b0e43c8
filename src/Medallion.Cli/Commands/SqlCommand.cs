using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Cli.Shell;
using System;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Platform.Audit;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion sql "&lt;query&gt;"</c>: runs SQL on the embedded engine and prints each result.</summary>
internal static class SqlCommand
{
    public static Command Create(TextWriter output, TextWriter error, TextReader? input = null)
    {
        var query = new Argument<string?>("query")
        {
            Description = "The SQL to run; several statements separated by ';' print one result each. Without it, an interactive shell starts (or, with piped input, the statements read from it run).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<OutputFormat> format = CommonOptions.Format();
        Option<string> project = ProjectOption.Create();
        var user = new Option<string?>("--user")
        {
            Description = "Read as this user of the project: only the tables, columns and rows the user is granted, with classified columns masked, and no file reads, as the SQL endpoint serves them.",
        };
        var environment = new Option<string>("--env", "-e")
        {
            Description = "The environment whose tables the query reads: prod, or one built with medallion apply --env (dev, pr-42); a model it has not built is read from prod.",
            DefaultValueFactory = _ => EnvironmentStore.Production,
        };
        var command = new Command("sql", "Run SQL on the lakehouse (namespace.table, with AT (VERSION => n) time travel); outside a project, on an in-memory engine.") { query, format, project, user, environment };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            string env = parsed.GetValue(environment)!;
            EnvironmentStore.CheckName(env);
            await using UserShellSession? asUser = parsed.GetValue(user) is { } name
                ? await UserShellSession.OpenAsync(directory, name, env, cancellationToken).ConfigureAwait(false)
                : null;
            await using ProjectEnvironment? ownerEnvironment = asUser is null && File.Exists(Path.Combine(directory, MedallionProject.FileName))
                ? await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false)
                : null;
            (LakehouseSession session, AuditLog? auditLog) = asUser is null
                ? await OpenSessionAsync(ownerEnvironment, env, error, cancellationToken).ConfigureAwait(false)
                : (asUser.Session, asUser.Audit);
            // The audit closes after the session, so it writes every statement the session ran before the command ends
            // (a user's session is released with what it stands on, its audit last).
            await using AuditLog? closeAudit = asUser is null ? auditLog : null;
            await using LakehouseSession? ownSession = asUser is null ? session : null;
            var audit = new ShellAudit(auditLog, session, parsed.GetValue(user) ?? Environment.UserName);
            if (parsed.GetValue(query) is { } sql)
            {
                return await audit.RunAsync(sql, () => RunAsync(session, sql, parsed.GetValue(format), output, cancellationToken)).ConfigureAwait(false);
            }

            var shell = new SqlShell(session, audit, parsed.GetValue(format), output, error);
            return await shell.RunAsync(input ?? Console.In, interactive: input is null && !Console.IsInputRedirected, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// In a project (a folder with medallion.yml) the session sees the project's tables and is read-only;
    /// elsewhere it is a scratch in-memory engine where any SQL may run.
    /// </summary>
    private static async Task<(LakehouseSession Session, AuditLog? Audit)> OpenSessionAsync(ProjectEnvironment? project, string environment, TextWriter error, CancellationToken cancellationToken)
    {
        if (project is null)
        {
            return (await LakehouseSession.OpenAsync(NoTables.Instance, readOnly: false, cancellationToken: cancellationToken).ConfigureAwait(false), null);
        }

        MedallionProject loaded = project.Project;
        ITableLocator tables = await project.GetTableLocatorAsync(
            environment,
            e => error.WriteLine($"Warning: {e.CodeText}: {e.Message.Split('\n')[0]}\nReading each table from its own folder, which is prod's unless a promotion pointed prod elsewhere."),
            cancellationToken).ConfigureAwait(false);
        // Lazy: a query of one table on an object store need not load every table of the lake first.
        LakehouseSession session = await LakehouseSession.OpenAsync(tables, lazy: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (session, AuditLog.Open(loaded));
    }

    /// <summary>
    /// A session that reads as a project's user, as the SQL endpoint serves it (the access service says what the user reads),
    /// with what it stands on (the access service's catalog and audit, databases), released together.
    /// </summary>
    private sealed class UserShellSession : IAsyncDisposable
    {
        private CliAccess? _access;
        private DuckDbDatabase? _database;
        private LakehouseSessionFactory? _factory;
        private ServedSession? _served;

        public LakehouseSession Session => _served!.Session;

        /// <summary>The project's audit, closed with the session.</summary>
        public AuditLog Audit => _access!.Audit;

        public static async Task<UserShellSession> OpenAsync(string projectDirectory, string user, string environment, CancellationToken cancellationToken)
        {
            var opened = new UserShellSession();
            try
            {
                CliAccess access = opened._access = await CliAccess.OpenAsync(projectDirectory, cancellationToken).ConfigureAwait(false);
                await access.Service.RequireUserAsync(user, cancellationToken).ConfigureAwait(false);
                MedallionProject loaded = access.Project;
                opened._database = access.Environment.Engines.OpenServing(null, ProjectCatalog.ServingDirectories(loaded));
                opened._factory = new LakehouseSessionFactory(opened._database, new CatalogTableLocator(new EnvironmentTableLocator(loaded, access.Catalog, environment), access.Catalog), loaded.Name)
                {
                    Engines = access.Environment.Engines,
                    Access = access.Service.SessionAccessAsync,
                };
                opened._served = await opened._factory.OpenUserSessionAsync(user, cancellationToken).ConfigureAwait(false);
                return opened;
            }
            catch
            {
                await opened.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_served is not null)
            {
                await _served.DisposeAsync().ConfigureAwait(false);
            }

            _factory?.Dispose();
            _database?.Dispose();
            if (_access is not null)
            {
                await _access.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<(int ExitCode, long Rows)> RunAsync(LakehouseSession session, string sql, OutputFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        long rows = 0;
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql, cancellationToken: cancellationToken).ConfigureAwait(false);
        do
        {
            if (reader.FieldCount > 0)
            {
                rows += ResultWriter.Write(reader, format, output, elapsed);
            }
            else if (format == OutputFormat.Table && reader.RecordsAffected >= 0)
            {
                await output.WriteLineAsync($"({reader.RecordsAffected} rows affected)").ConfigureAwait(false);
            }

            elapsed.Restart();
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));

        return (0, rows);
    }
}
