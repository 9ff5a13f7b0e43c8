using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Ingestion.Internal;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace Medallion.Ingestion;

public sealed partial class PostgresSource
{
    /// <summary>
    /// One replication stream of this source: its connection, its messages with the read that may be under way, the
    /// columns it was planned with and the relations the server described on it, and where it got to. A pass reads it
    /// and closes it, or, with <see cref="SourceTableOptions.KeepStreamOpen"/>, leaves it open for the next pass.
    /// </summary>
    /// <remarks>
    /// Only one pass reads a stream at a time. A read the pass's quiet wait gave up on stays under way
    /// (<see cref="NextAsync"/>): its message, whenever it comes, is the next pass's first, so nothing is read twice or
    /// skipped between passes. The messages end only when the stream is disposed.
    /// </remarks>
    private sealed class ChangeStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _closing = new();
        private IAsyncEnumerator<PgOutputReplicationMessage>? _messages;
        // The read of the next message, from when it was asked for until its message is handed out.
        private Task<bool>? _next;
        private bool _ended;

        public ChangeStream(string connectionString, List<ColumnPlan> plan, ulong lastEnd, HashSet<string> restartedFor)
        {
            Connection = new LogicalReplicationConnection(connectionString);
            Plan = plan;
            Change = new ChangeState(plan);
            End = new StreamEnd(lastEnd, restartedFor);
            Delivered = lastEnd;
        }

        public LogicalReplicationConnection Connection { get; }

        public List<ColumnPlan> Plan { get; }

        /// <summary>The transaction being read and the relations the server described on this stream (it describes each once).</summary>
        public ChangeState Change { get; }

        public StreamEnd End { get; }

        /// <summary>The position of the last commit point handed out: where a pass that reads on from this stream must start.</summary>
        public ulong Delivered { get; set; }

        /// <summary>The server streams: <see cref="Start"/> was called.</summary>
        public bool Started => _messages is not null;

        /// <summary>
        /// The stream can serve another pass: it was not cut short (new columns), its messages did not end, and a read
        /// left under way did not fail (the server ended the walsender, the connection broke).
        /// </summary>
        public bool Reusable => End.AddedColumns is null && !_ended && !Broken && _next is null or { IsCompleted: false } or { IsCompletedSuccessfully: true, Result: true };

        /// <summary>A read asked for in an earlier pass failed: the stream broke while it was kept (see <see cref="NextAsync"/>).</summary>
        public bool Broken { get; private set; }

        /// <summary>Starts streaming from the slot; the server answers with the changes after its confirmed position.</summary>
        public void Start(string slot, string publication) =>
            _messages = Connection
                .StartReplication(new PgOutputReplicationSlot(slot), new PgOutputReplicationOptions(publication, PgOutputProtocolVersion.V1), _closing.Token)
                .GetAsyncEnumerator(_closing.Token);

        /// <summary>
        /// Tells the server this stream is listening, at the start of a pass that reads on from it: a walsender reports
        /// its position (the keepalive a pass waits for before it may end) once per status update it got, so without
        /// one a kept stream could wait for the driver's next periodic update. False, and <see cref="Broken"/>, when the
        /// connection broke while the stream was kept.
        /// </summary>
        public async Task<bool> PingAsync(CancellationToken cancellationToken)
        {
            try
            {
                await Connection.SendStatusUpdate(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                Broken = true;
                return false;
            }
        }

        /// <summary>The message <see cref="NextAsync"/> last answered true for.</summary>
        public PgOutputReplicationMessage Current => _messages!.Current;

        /// <summary>
        /// Waits for the next message: true when it is <see cref="Current"/>, false when <paramref name="quiet"/> ended
        /// the wait first (the read stays under way, for the next call) or the messages ended.
        /// </summary>
        /// <param name="kept">
        /// The pass reads on from a kept stream and has handled nothing of it yet: a failure of the server or the
        /// connection is then one that happened between passes, and marks the stream <see cref="Broken"/> (false
        /// is returned) rather than failing the pass.
        /// </param>
        /// <param name="quiet">Ends the wait, not the read (see <see cref="QuietWait"/>).</param>
        /// <param name="cancellationToken">The caller's token: it throws instead.</param>
        public async Task<bool> NextAsync(bool kept, CancellationToken quiet, CancellationToken cancellationToken)
        {
            _next ??= _messages!.MoveNextAsync().AsTask();
            try
            {
                bool more = await _next.WaitAsync(quiet).ConfigureAwait(false);
                _next = null;
                _ended = !more;
                return more;
            }
            catch (OperationCanceledException) when (quiet.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (NpgsqlException) when (kept)
            {
                Broken = true;
                return false;
            }
        }

        /// <summary>Ends the read under way and closes the connection (the server then ends its walsender).</summary>
        public async ValueTask DisposeAsync()
        {
            await _closing.CancelAsync().ConfigureAwait(false);
            if (_next is not null)
            {
                await ((Task)_next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (_messages is not null)
            {
                await _messages.DisposeAsync().ConfigureAwait(false);
            }

            await Connection.DisposeAsync().ConfigureAwait(false);
            _closing.Dispose();
        }
    }
}
