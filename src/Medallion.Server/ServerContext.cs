using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Access;
using Medallion.Platform.Audit;
using Medallion.Server.Scheduling;

namespace Medallion.Server;

/// <summary>What the HTTP endpoints share: the project, its catalog, the local CLI's token and the gate of password checks.</summary>
internal sealed class ServerContext
{
    /// <summary>The name actions taken with the local token are recorded under.</summary>
    public const string LocalUser = "local";

    private readonly byte[] _localTokenHash;

    public ServerContext(JobScheduler scheduler, string localToken, TimeProvider time, AuditLog audit, LoginGuard logins)
    {
        Scheduler = scheduler;
        Audit = audit;
        Time = time;
        _localTokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(localToken));
        Logins = logins;
        Access = new AccessService(scheduler.Catalog, audit, cancellationToken => OpenLakehouseAsync(null, cancellationToken));
        Credentials = new TableCredentialIssuer(scheduler.Catalog, audit);
    }

    /// <summary>Temporary credentials for a table's files, for the catalog APIs other engines use: governed and audited in one place.</summary>
    public TableCredentialIssuer Credentials { get; }

    /// <summary>Users, roles, grants and tokens: every admin act of the REST API goes through it.</summary>
    public AccessService Access { get; }

    /// <summary>The project as last loaded: a reload replaces it.</summary>
    public MedallionProject Project => Scheduler.Project;

    /// <summary>The project as last loaded with its models parsed; <see cref="ModelGraph.Project"/> is the project it was built from.</summary>
    public ModelGraph Graph => Scheduler.Graph;

    /// <summary>The environment of the project as last loaded: the server's one catalog, its engines, clock and logs.</summary>
    public ProjectEnvironment Environment => Scheduler.Environment;

    /// <summary>
    /// The project's lakehouse as last loaded, for <paramref name="reader"/> (everyone when null): read through the
    /// server's catalog with the models already parsed, so opening it reads no project file and opens no catalog. The
    /// caller disposes it.
    /// </summary>
    public Task<Lakehouse> OpenLakehouseAsync(ReaderView? reader, CancellationToken cancellationToken)
    {
        // One read of the definitions: a reload between two reads would pair a project with another's graph.
        JobScheduler.Definitions loaded = Scheduler.Loaded;
        return Lakehouse.OpenAsync(loaded.Environment, loaded.Graph, reader, cancellationToken);
    }

    /// <summary>
    /// The SQL endpoint's sessions, when it runs under the catalog's grants (set once it has started): the SQL page reads
    /// through them, so the server's queries share one memory limit.
    /// </summary>
    public LakehouseSessionFactory? SqlSessions { get; set; }

    /// <summary>Reloads the project's definitions; set once the server has started.</summary>
    public ProjectReloader? Reloader { get; set; }

    public JobScheduler Scheduler { get; }

    /// <summary>Where the server's statements and acts are recorded.</summary>
    public AuditLog Audit { get; }

    /// <summary>The project's catalog (the scheduler's: one pool of connections for the whole server).</summary>
    public CatalogStore Catalog => Scheduler.Catalog;

    public TimeProvider Time { get; }

    /// <summary>The gate every password check goes through, shared with the SQL endpoint.</summary>
    public LoginGuard Logins { get; }

    private volatile bool _ready;

    /// <summary>Set once every part of the server has started; <c>/readyz</c> answers 503 until then and after a stop begins.</summary>
    public bool Ready
    {
        get => _ready && !Scheduler.LeaseLost;
        set => _ready = value;
    }

    public bool IsLocalToken(string secret) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), _localTokenHash);
}
