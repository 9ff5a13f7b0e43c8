using System;
using System.Collections.Generic;

namespace Medallion.Ingestion.Internal;

/// <summary>The user-facing errors of database sources, worded in one place so every connector says the same.</summary>
internal static class SourceErrors
{
    public static MedallionException Unavailable(string source, string server, int attempts, Exception inner) =>
        new(ErrorCode.SourceUnavailable,
            $"Source '{source}': the server {server} could not be reached after {attempts} attempt{(attempts == 1 ? "" : "s")}: {inner.Message}\nHelp: check that the server is running and reachable from this machine; the run can be retried.",
            inner);

    public static MedallionException LostConnection(string source, string table, Exception inner) =>
        new(ErrorCode.SourceUnavailable,
            $"Source '{source}': the connection to the server broke while reading table '{table}': {inner.Message}\nHelp: nothing past the last committed batch was committed; run again to resume from there.",
            inner);

    public static MedallionException AuthenticationFailed(string source, string server, string user, Exception inner) =>
        new(ErrorCode.SourceAuthenticationFailed,
            $"Source '{source}': the server {server} rejected the login of user '{user}': {inner.Message}\nHelp: check the user name and password of the connection, and that the user may connect to that database.",
            inner);

    public static MedallionException TableNotFound(string source, string table, string database) =>
        new(ErrorCode.SourceTableNotFound,
            $"Source '{source}': table '{table}' does not exist in database '{database}' (or the user cannot see it).\nHelp: check the table name (and schema) in the source settings, and the user's privileges.");

    public static MedallionException ColumnNotFound(string source, string table, string role, string column, IEnumerable<string> columns) =>
        new(ErrorCode.SourceColumnNotFound,
            $"Source '{source}': {role} column '{column}' does not exist in table '{table}'.\nHelp: the table has the columns {string.Join(", ", columns)}.");

    public static MedallionException ReadFailed(string source, string table, string column, Exception inner) =>
        new(ErrorCode.SourceReadFailed,
            $"Source '{source}': reading column '{column}' of table '{table}' failed: {inner.Message}\nHelp: the value cannot be represented in its DuckDB type; read the table through a view that casts the column.",
            inner);

    public static MedallionException QueryFailed(string source, string table, Exception inner) =>
        new(ErrorCode.SourceReadFailed,
            $"Source '{source}': reading table '{table}' failed: {inner.Message}",
            inner);

    public static MedallionException PositionMismatch(string source, string table, string what) =>
        new(ErrorCode.SourcePositionInvalid,
            $"Source '{source}': the stored position of table '{table}' cannot be used: {what}.\nHelp: the source settings changed since the last commit; reload the table in full mode to start over.");

    public static MedallionException ChangeLogUnavailable(string source, string server, string what, string help) =>
        new(ErrorCode.SourceChangeLogUnavailable,
            $"Source '{source}': change data capture cannot read the binlog of {server}: {what}.\nHelp: {help}");

    public static MedallionException ChangeLogPurged(string source, string table, string file, ulong position, Exception? inner) =>
        new(ErrorCode.SourceChangeLogPurged,
            $"Source '{source}': the binlog file '{file}' that the changes of table '{table}' continue from (position {position}) is no longer on the server; the changes since cannot be read.\nHelp: keep binlogs longer than the longest pause between runs (expire_logs_days, binlog_expire_logs_seconds); reload the table in full mode to start over.",
            inner);

    public static MedallionException TableChanged(string source, string table, string where, string what) =>
        new(ErrorCode.SourceTableChanged,
            $"Source '{source}': table '{table}' changed while its changes were streamed ({where}): {what}.\nHelp: bronze holds every change before that point; reload the table in full mode to start over with its new definition.");
}
