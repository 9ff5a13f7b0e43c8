using System;
using System.Linq;
using Medallion.Catalog;
using Medallion.Ingestion.Debezium;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads a push source of a sources file (an entry with <c>listen:</c>), Debezium change events POSTed over HTTP:
/// <code>
/// - name: orders_cdc
///   listen: 127.0.0.1:8089             # host:port; any address but loopback needs auth
///   target: bronze.orders_cdc          # default bronze.&lt;name&gt;
///   auth: {type: bearer, token: ${CDC_TOKEN}}   # senders send 'Authorization: Bearer &lt;token&gt;'
/// </code>
/// The token is left as written, like an HTTP API source's, and resolved when the endpoint starts.
/// </summary>
internal static class EndpointSourceReader
{
    private static readonly string[] s_keys = ["name", "description", "listen", "target", "auth"];
    private static readonly string[] s_authKeys = ["type", "token"];

    public static bool IsEndpointSource(YamlNode item) =>
        item is YamlMappingNode map && map.Children.Keys.Any(k => k is YamlScalarNode { Value: "listen" });

    public static EndpointSourceDefinition Read(YamlFile file, YamlNode item)
    {
        YamlMap source = file.Map(item, "a Debezium endpoint source", s_keys);
        string listen = source.RequiredString("listen", "a Debezium endpoint source", "127.0.0.1:8089");
        if (!DebeziumEndpoint.TryParseListen(listen, out Uri? address))
        {
            throw file.Error(source.Value("listen")!, $"'listen' must be host:port, but found '{listen}'. Expected e.g. 'listen: 127.0.0.1:8089'.");
        }

        (string name, TableName target) = SourceTarget.Read(file, source, item, "this Debezium endpoint source", "orders_cdc");
        string? token = null;
        if (source.Map("auth", "'auth'", s_authKeys) is { } auth)
        {
            string type = auth.Choice("type", ["bearer"]) ?? throw file.Error(auth.Node, "'auth' has no 'type'. Expected 'type: bearer' (the only kind a Debezium endpoint checks).");
            token = ApiSourceReader.AuthSecret(auth, type, name, "token", "${CDC_TOKEN}");
        }

        return new EndpointSourceDefinition(name, target, address, token, source.String("description"), file.Location(item));
    }
}
