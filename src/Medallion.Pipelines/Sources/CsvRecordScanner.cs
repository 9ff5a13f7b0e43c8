using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Pipelines.Sources;

/// <summary>The CSV dialect DuckDB's sniffer chose for a file, as its rejects scan table reports it.</summary>
/// <param name="Quote">The quote byte, or -1 when fields are not quoted.</param>
/// <param name="Escape">The escape byte inside quotes, or -1.</param>
/// <param name="SkipRows">Lines skipped before the header.</param>
/// <param name="HasHeader">Whether the first record is a header.</param>
internal sealed record CsvDialect(int Quote, int Escape, int SkipRows, bool HasHeader);

/// <summary>
/// Where each data row of a CSV file starts, in real line numbers. DuckDB gives rows no line number, and the line of
/// its rejects counts records (a quoted newline does not count) — so the file is walked once here with the dialect
/// DuckDB used: records end at a newline outside quotes, blank lines are skipped as DuckDB skips them, and rejected
/// records are recognised by the byte offset DuckDB reports. The good rows, in file order, then have lines
/// <c>rn + offset</c> where the offset changes only after a multi-line record, a blank line or a reject: only those
/// breakpoints are kept, so memory grows with the file's irregularities, not its size. The same pass hashes the file.
/// </summary>
internal static class CsvRecordScanner
{
    public static async Task<CsvScan> ScanAsync(string path, CsvDialect dialect, IReadOnlyCollection<long> rejectStarts, CancellationToken cancellationToken)
    {
        var rejects = new HashSet<long>(rejectStarts);
        long[] rejectOrder = [.. rejects];
        Array.Sort(rejectOrder);
        int nextReject = 0;
        var rejectLines = new Dictionary<long, long>();
        var breakpoints = new List<(long Rn, long Offset)>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        long line = 1, position = 0, rn = 0, currentOffset = long.MinValue, recordStart = 0, recordLine = 0;
        int skip = dialect.SkipRows;
        bool atRecordStart = true, inQuotes = false, escapeNext = false, previousCr = false, headerPending = dialect.HasHeader;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    for (int i = 0; i < read; i++, position++)
                    {
                        byte b = buffer[i];
                        if (nextReject < rejectOrder.Length && rejectOrder[nextReject] == position)
                        {
                            // Counted on bytes, not records: right even where the record walk disagrees with DuckDB.
                            rejectLines[position] = line;
                            nextReject++;
                        }

                        bool newline = b is (byte)'\n' or (byte)'\r';
                        bool crLf = b == '\n' && previousCr;
                        previousCr = b == '\r';
                        if (skip > 0)
                        {
                            if (newline && !crLf)
                            {
                                skip--;
                                line++;
                            }

                            continue;
                        }

                        if (atRecordStart)
                        {
                            if (newline)
                            {
                                line += crLf ? 0 : 1;
                                continue;
                            }

                            atRecordStart = false;
                            inQuotes = false;
                            escapeNext = false;
                            recordStart = position;
                            recordLine = line;
                        }

                        if (newline)
                        {
                            line += crLf ? 0 : 1;
                        }

                        if (inQuotes)
                        {
                            if (escapeNext)
                            {
                                escapeNext = false;
                            }
                            else if (dialect.Escape >= 0 && dialect.Escape != dialect.Quote && b == dialect.Escape)
                            {
                                escapeNext = true;
                            }
                            else if (b == dialect.Quote)
                            {
                                inQuotes = false;
                            }
                        }
                        else if (dialect.Quote >= 0 && b == dialect.Quote)
                        {
                            inQuotes = true;
                        }
                        else if (newline)
                        {
                            EndRecord();
                            atRecordStart = true;
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileSourceLoader.Unreadable(path, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!atRecordStart)
        {
            EndRecord();
        }

        return new CsvScan(Convert.ToHexStringLower(sha.GetHashAndReset()), position, rn, breakpoints, rejectLines);

        void EndRecord()
        {
            if (headerPending)
            {
                headerPending = false;
                return;
            }

            if (rejects.Contains(recordStart))
            {
                return;
            }

            rn++;
            long offset = recordLine - rn;
            if (offset != currentOffset)
            {
                breakpoints.Add((rn, offset));
                currentOffset = offset;
            }
        }
    }
}

/// <summary>What a walk of a CSV file found.</summary>
/// <param name="Sha256">The content hash (lower-case hex).</param>
/// <param name="Size">Bytes read.</param>
/// <param name="GoodRows">Data records that are not rejects; must equal DuckDB's row count for the line numbers to be trusted.</param>
/// <param name="Breakpoints">From row <c>Rn</c> on (1-based, good rows only), line = rn + Offset.</param>
/// <param name="RejectLines">The real first line of each rejected record, by byte offset of its start.</param>
internal sealed record CsvScan(string Sha256, long Size, long GoodRows, IReadOnlyList<(long Rn, long Offset)> Breakpoints, IReadOnlyDictionary<long, long> RejectLines);
