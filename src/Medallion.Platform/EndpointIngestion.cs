using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Ingestion.Debezium;
using Medallion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Medallion.Platform;

/// <summary>
/// Debezium change events pushed over HTTP, landed in one bronze table until stopped: a project's endpoint source
/// (<c>listen:</c> in sources/*.yml), or one given by address and table. Each request is committed before it is answered.
/// </summary>
public sealed class EndpointIngestion : IDisposable
{
    private readonly DuckDbDatabase _database;
    private readonly DuckDbConnection _connection;
    private readonly DebeziumEndpoint _endpoint;

    private EndpointIngestion(DuckDbDatabase database, DuckDbConnection connection, DebeziumEndpoint endpoint, string tablePath)
    {
        _database = database;
        _connection = connection;
        _endpoint = endpoint;
        TablePath = tablePath;
    }

    /// <summary>The address it listens on.</summary>
    public Uri Address => _endpoint.Address;

    /// <summary>The bronze table's location.</summary>
    public string TablePath { get; }

    /// <summary>Events committed so far.</summary>
    public long EventsCommitted => _endpoint.EventsCommitted;

    /// <summary>Starts listening for a project's endpoint source.</summary>
    /// <param name="project">The project (the bronze table lives under its storage).</param>
    /// <param name="source">One of <see cref="MedallionProject.EndpointSources"/>.</param>
    /// <param name="loggerFactory">Where requests, commits and refusals are logged.</param>
    /// <exception cref="MedallionException">The address cannot be listened on, or a token is required and missing.</exception>
    public static EndpointIngestion Start(MedallionProject project, EndpointSourceDefinition source, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        return Start(source.Address, source.BearerToken, source.Name, ProjectCatalog.TableLocation(project, source.Target), loggerFactory);
    }

    /// <summary>Starts listening on <paramref name="address"/> for events into the table at <paramref name="tableLocation"/>.</summary>
    /// <param name="address">The <c>http://host:port/</c> to listen on.</param>
    /// <param name="bearerToken">The token every request must carry (a <c>${NAME}</c> reference is read from the environment); null for none, which only loopback allows.</param>
    /// <param name="sourceName">The source's name, under which the bronze table keeps its position.</param>
    /// <param name="tableLocation">The bronze table's location.</param>
    /// <param name="loggerFactory">Where requests, commits and refusals are logged.</param>
    /// <exception cref="MedallionException">The address cannot be listened on, or a token is required and missing.</exception>
    public static EndpointIngestion Start(Uri address, string? bearerToken, string sourceName, string tableLocation, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        ArgumentException.ThrowIfNullOrEmpty(tableLocation);
        DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        DuckDbConnection? connection = null;
        DebeziumEndpoint? endpoint = null;
        try
        {
            connection = database.CreateConnection();
            var sink = new BronzeSink(new DeltaWriter(connection) { LoggerFactory = loggerFactory }, tableLocation, sourceName);
            endpoint = new DebeziumEndpoint(connection, sink, address, loggerFactory, bearerToken);
            endpoint.Start();
            return new EndpointIngestion(database, connection, endpoint, sink.TablePath);
        }
        catch
        {
            endpoint?.Dispose();
            connection?.Dispose();
            database.Dispose();
            throw;
        }
    }

    /// <summary>Takes events until <paramref name="cancellationToken"/> is cancelled, then returns once the requests under way are answered.</summary>
    /// <param name="cancellationToken">Stops listening.</param>
    public Task RunAsync(CancellationToken cancellationToken = default) => _endpoint.RunAsync(cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        _endpoint.Dispose();
        _connection.Dispose();
        _database.Dispose();
    }
}
