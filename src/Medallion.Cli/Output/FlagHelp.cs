using System;

namespace Medallion.Cli.Output;

/// <summary>
/// The command-line half of an error's help. Libraries say what is wrong in their own terms, because the same
/// error reaches REST clients and BI tools that have no flags; the CLI knows which of its flags or commands fix it.
/// </summary>
internal static class FlagHelp
{
    /// <summary>The help line for an error of <paramref name="code"/> met by <paramref name="command"/> (e.g. <c>delta vacuum</c>), or null.</summary>
    public static string? For(ErrorCode? code, string command) => (code, command) switch
    {
        (ErrorCode.DeltaRetentionTooShort, "delta vacuum") => "--force vacuums with the shorter retention anyway.",
        (ErrorCode.DeltaTableAlreadyExists, "delta create") => "'medallion delta write <table> --from ...' appends to it or overwrites it.",
        (ErrorCode.DeltaSchemaMismatch, "delta write") => "--merge-schema adds the data's new columns to the table.",
        (ErrorCode.DeltaCheckpointFailed, _) => "'medallion delta checkpoint <table>' writes it again.",
        (ErrorCode.PgWireStartFailed, "serve" or "server") => "--pg-port picks another port.",
        (ErrorCode.RunNeedsFullRefresh, "run") => "'medallion run --full-refresh --select <model>' rebuilds it.",
        (ErrorCode.RunModelFailed, "run") => "'medallion sql' opens one.",
        (ErrorCode.RunUpstreamMissing, "run") => "'medallion run --select +<model>' builds the model with everything it reads.",
        (ErrorCode.ProjectNotFound, _) => "'medallion init <dir>' creates a project; --project <dir> points at another folder.",
        (ErrorCode.SourceSecretMissing, "ingest") => "with --listen, --token-env NAME takes the token from the environment variable NAME.",
        (ErrorCode.CatalogObjectNotFound, "user role" or "user remove" or "token create") => "'medallion user list' shows the users; 'medallion user add <name>' adds one.",
        (ErrorCode.CatalogObjectNotFound, "runs") => "'medallion runs' lists the recent runs and their ids.",
        (ErrorCode.DeltaTableNotFound, "describe" or "history" or "lineage") => "'medallion run --select <table>' builds a model's table; 'medallion ingest' loads a source's.",
        (ErrorCode.CatalogObjectNotFound, "describe" or "history" or "lineage" or "monitor" or "pii scan" or "delta inspect" or "delta history") => "'medallion tables' lists the project's tables.",
        _ => null,
    };

    /// <summary>
    /// An error's message and its one Help line: the library's help says what to do, the command's (<paramref name="commandHelp"/>)
    /// which command or flag does it, so the library's <c>Help:</c> line is taken out of the message and put before the command's.
    /// </summary>
    public static (string Message, string? Help) Combine(string message, string? commandHelp)
    {
        const string Marker = "\nHelp: ";
        if (commandHelp is null || message.IndexOf(Marker, StringComparison.Ordinal) is not (int at and >= 0))
        {
            return (message, commandHelp);
        }

        return (message[..at], message[(at + Marker.Length)..] + " " + commandHelp);
    }
}
