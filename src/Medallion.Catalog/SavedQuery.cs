using System;

namespace Medallion.Catalog;

/// <summary>
/// A SQL query a user saved on the server under a name of theirs: its text as written (saving is not running; it runs
/// later with the grants, masks and row filters of whoever runs it), and whether every signed-in user may see it.
/// </summary>
/// <param name="Owner">Who saved it; only they change it (an admin may also delete it).</param>
/// <param name="Name">Its name, as last written; unique among the owner's, whatever its case.</param>
/// <param name="Sql">The query's text, as given.</param>
/// <param name="Description">What it answers, or null.</param>
/// <param name="Shared">Whether every signed-in user sees it (read-only for them).</param>
/// <param name="CreatedAt">When the owner first saved it under this name.</param>
/// <param name="UpdatedAt">When it was last saved.</param>
public sealed record SavedQuery(string Owner, string Name, string Sql, string? Description, bool Shared, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
