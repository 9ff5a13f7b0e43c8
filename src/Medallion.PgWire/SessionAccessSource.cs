using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire;

/// <summary>
/// What <paramref name="user"/>'s sessions may read of <paramref name="tables"/>: the tables, columns and rows, masked;
/// null when the user reads everything unmasked. The endpoint asks at each session it opens and decides nothing of it
/// itself: the project's access service answers (its <c>SessionAccessAsync</c>).
/// </summary>
/// <param name="user">The user the session reads as.</param>
/// <param name="tables">The tables the session shows.</param>
/// <param name="cancellationToken">Cancels the asking.</param>
public delegate Task<SessionAccess?> SessionAccessSource(string user, IReadOnlyList<LakehouseTable> tables, CancellationToken cancellationToken);
