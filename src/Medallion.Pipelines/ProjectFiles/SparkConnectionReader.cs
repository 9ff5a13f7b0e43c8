using Medallion.Spark;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Checks a connection of type <c>spark_connect</c> in <c>medallion.yml</c>, a Spark or Databricks cluster reached
/// through Spark Connect:
/// <code>
/// connections:
///   cluster:
///     type: spark_connect
///     remote: sc://spark.example.com:15002/;token=${SPARK_TOKEN};use_ssl=true
/// </code>
/// The remote is Spark's own connection-string format (<see cref="SparkConnectRemote"/>); a malformed one, or one that
/// would send a token without TLS off this machine, is an error at the <c>remote</c> value's file, line and column. The
/// connection keeps its settings as written (<see cref="ConnectionDefinition.Settings"/>); a runner reads its remote
/// with <see cref="SparkConnectRemote.Parse"/>.
/// </summary>
internal static class SparkConnectionReader
{
    public const string Type = "spark_connect";
    private static readonly string[] s_keys = ["type", "remote"];

    public static void Check(YamlFile file, YamlNode value, string name)
    {
        YamlMap connection = file.Map(value, $"connection '{name}'", s_keys);
        string remote = connection.RequiredString("remote", $"spark_connect connection '{name}'", "sc://spark.example.com:15002/;token=${SPARK_TOKEN};use_ssl=true");
        try
        {
            SparkConnectRemote.Parse(remote);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.SparkRemoteInvalid)
        {
            // The parser's message names the part that is wrong and never a secret, so it can be shown as it is.
            throw file.Error(connection.Value("remote")!.Start, $"'remote' of connection '{name}' is refused. {e.Message}", e, ErrorCode.SparkRemoteInvalid);
        }
    }
}
