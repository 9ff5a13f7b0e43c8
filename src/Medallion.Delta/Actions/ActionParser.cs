using System.Collections.Generic;
using System.Text.Json;

namespace Medallion.Delta.Actions;

/// <summary>
/// Turns one JSON object (a commit line, or a checkpoint row rendered as JSON) into actions. A checkpoint row
/// has one column per action type with all but one null; a commit line has exactly one key. Unknown action
/// types are ignored, as the protocol requires.
/// </summary>
internal static class ActionParser
{
    /// <summary>The top-level columns a checkpoint or sidecar Parquet file may have that replay uses.</summary>
    public static readonly IReadOnlyList<string> CheckpointColumns =
        ["add", "remove", "metaData", "protocol", "txn", "domainMetadata", "checkpointMetadata", "sidecar"];

    public static void Parse(JsonElement row, List<DeltaAction> into)
    {
        foreach (JsonProperty p in row.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            DeltaAction? action = p.Name switch
            {
                "add" => AddFile.Parse(p.Value),
                "remove" => RemoveFile.Parse(p.Value),
                "metaData" => new MetadataAction(Metadata.Parse(p.Value)),
                "protocol" => new ProtocolAction(Protocol.Parse(p.Value)),
                "txn" => Txn.Parse(p.Value),
                "commitInfo" => new CommitInfoAction(CommitInfo.Parse(p.Value)),
                "cdc" => AddCdcFile.Parse(p.Value),
                "domainMetadata" => DomainMetadata.Parse(p.Value),
                "checkpointMetadata" => CheckpointMetadata.Parse(p.Value),
                "sidecar" => Sidecar.Parse(p.Value),
                _ => null,
            };
            if (action is not null)
            {
                into.Add(action);
            }
        }
    }
}
