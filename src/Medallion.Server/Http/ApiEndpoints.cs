using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>The REST API under <c>/api</c>: reads for every authenticated user, actions for operators.</summary>
internal static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapGet("/project", (ServerContext server) => new ProjectInfo(server.Project.Name, server.Project.Directory, server.Project.Resolve(server.Project.Storage)))
            .WithName("GetProject").WithTags("project").Produces<ProjectInfo>();
    }
}

/// <summary>The project a server runs.</summary>
/// <param name="Name">Its name from <c>medallion.yml</c>.</param>
/// <param name="Directory">Its directory on the server's machine.</param>
/// <param name="Storage">Where its tables live (a folder or a URI).</param>
public sealed record ProjectInfo(string Name, string Directory, string Storage);
