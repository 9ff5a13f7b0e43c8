using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>The REST API under <c>/api</c>: reads for every authenticated user, actions for operators.</summary>
internal static class ApiEndpoints
{
    private const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapGet("/project", (ServerContext server) => new ProjectInfo(server.Project.Name, server.Project.Directory, server.Project.Resolve(server.Project.Storage)))
            .WithName("GetProject").WithTags("project").Produces<ProjectInfo>();

        api.MapGet("/tables", (ServerContext server, string? @namespace, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, lakehouse => lakehouse.ListTablesAsync(@namespace, cancellationToken), cancellationToken))
            .WithName("ListTables").WithTags("tables").Produces<IReadOnlyList<TableSummary>>().Produces<ApiError>(StatusCodes.Status400BadRequest);
        api.MapGet("/tables/{table}", (ServerContext server, string table, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, lakehouse => lakehouse.DescribeTableAsync(lakehouse.ResolveTable(table), cancellationToken), cancellationToken))
            .WithName("GetTable").WithTags("tables").Produces<TableDetails>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/tables/{table}/history", (ServerContext server, string table, int? limit, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, lakehouse => lakehouse.GetTableHistoryAsync(lakehouse.ResolveTable(table), Limit(limit, 20), cancellationToken), cancellationToken))
            .WithName("GetTableHistory").WithTags("tables").Produces<IReadOnlyList<TableVersionInfo>>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/tables/{table}/lineage", (ServerContext server, string table, string? column, string? direction, CancellationToken cancellationToken) =>
                Enum.TryParse(direction ?? nameof(LineageDirection.Both), ignoreCase: true, out LineageDirection way) && !int.TryParse(direction, out _)
                    ? WithLakehouseAsync(server, lakehouse => lakehouse.GetLineageAsync(lakehouse.ResolveTable(table), column, way, cancellationToken), cancellationToken)
                    : Task.FromResult(Results.Json(new ApiError($"direction '{direction}' is not upstream, downstream or both"), ApiJson.Options, statusCode: StatusCodes.Status400BadRequest)))
            .WithName("GetTableLineage").WithTags("lineage").Produces<IReadOnlyList<LineageEdge>>()
            .Produces<ApiError>(StatusCodes.Status400BadRequest).Produces<ApiError>(StatusCodes.Status404NotFound);

        api.MapGet("/runs", (ServerContext server, int? limit, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, lakehouse => lakehouse.ListRunsAsync(Limit(limit, 50), cancellationToken), cancellationToken))
            .WithName("ListRuns").WithTags("runs").Produces<IReadOnlyList<RunSummary>>();
        api.MapGet("/runs/{id}", (ServerContext server, string id, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, lakehouse => lakehouse.GetRunAsync(id, cancellationToken), cancellationToken))
            .WithName("GetRun").WithTags("runs").Produces<RunDetails>().Produces<ApiError>(StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// Runs a read on a lakehouse opened for this request (it lists the tables as they are now) and maps what the
    /// user got wrong to 404 or 400 with the library's message.
    /// </summary>
    private static async Task<IResult> WithLakehouseAsync<T>(ServerContext server, Func<Lakehouse, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            Lakehouse lakehouse = await Lakehouse.OpenAsync(server.Project.Directory, cancellationToken).ConfigureAwait(false);
            await using (lakehouse.ConfigureAwait(false))
            {
                return Results.Json(await read(lakehouse).ConfigureAwait(false), ApiJson.Options);
            }
        }
        catch (MedallionException exception) when (exception.Code == ErrorCode.CatalogObjectNotFound)
        {
            return Error(StatusCodes.Status404NotFound, exception);
        }
        catch (MedallionException exception) when (IsRequestError(exception.Code))
        {
            return Error(StatusCodes.Status400BadRequest, exception);
        }
    }

    private static bool IsRequestError(ErrorCode code) => code is ErrorCode.ModelSelectionInvalid or ErrorCode.ModelUnknownTable;

    private static IResult Error(int status, MedallionException exception) =>
        Results.Json(new ApiError($"{ErrorCodes.Format(exception.Code)}: {exception.Message}"), ApiJson.Options, statusCode: status);

    private static int Limit(int? requested, int fallback) => Math.Clamp(requested ?? fallback, 1, MaxLimit);
}

/// <summary>The project a server runs.</summary>
/// <param name="Name">Its name from <c>medallion.yml</c>.</param>
/// <param name="Directory">Its directory on the server's machine.</param>
/// <param name="Storage">Where its tables live (a folder or a URI).</param>
public sealed record ProjectInfo(string Name, string Directory, string Storage);
