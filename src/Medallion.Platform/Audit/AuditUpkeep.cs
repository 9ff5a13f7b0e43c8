namespace Medallion.Platform.Audit;

/// <summary>What one upkeep pass over the audit table did (<see cref="AuditLog.MaintainAsync"/>).</summary>
/// <param name="EventsDeleted">Events older than the retention, deleted.</param>
/// <param name="FilesPacked">Small files rewritten into fewer.</param>
/// <param name="FilesWritten">The files they were packed into.</param>
public sealed record AuditUpkeep(long EventsDeleted, int FilesPacked, int FilesWritten);
