using System.Globalization;
using System.Text.Json;
using Medallion.Delta;
using Medallion.Storage;

namespace Medallion.Platform.Tests.Observability;

/// <summary>
/// A Delta table whose log is written by hand, one daily load at about 02:00 for 30 days from Monday 2 March 2026:
/// about 10,000 rows on weekdays and 3,000 at weekends (uniform noise of ±4%, start times ±10 minutes), except a load
/// of 1,200 rows on day <see cref="DroppedDay"/> and a load at 11:30 on day <see cref="LateDay"/>. The commits carry
/// in-commit timestamps, as Delta writers that record them do, so the history can lie in the past.
/// </summary>
internal sealed class GeneratedHistory : IDisposable
{
    public const int Days = 30;
    public const int DroppedDay = 17;
    public const int LateDay = 23;
    /// <summary>The day a load added the column <c>discount</c>.</summary>
    public const int SchemaDay = 10;

    public static readonly DateTimeOffset Start = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] s_writerFeatures = ["inCommitTimestamp"];

    private readonly TempDirectory? _owned;
    private readonly string _path;

    /// <summary>Writes the table into <paramref name="path"/>, or into a temp folder of its own (deleted on dispose) when null.</summary>
    public GeneratedHistory(string? path = null)
    {
        _owned = path is null ? new TempDirectory("observe") : null;
        _path = path ?? _owned!.Path;
        var random = new Random(19);
        string log = Path.Combine(_path, "_delta_log");
        Directory.CreateDirectory(log);
        string schema = Schema(false);
        Write(log, 0, Start.AddDays(-1),
            new { protocol = new { minReaderVersion = 1, minWriterVersion = 7, writerFeatures = s_writerFeatures } },
            Metadata(schema));
        for (int day = 0; day < Days; day++)
        {
            DateTimeOffset date = Start.AddDays(day);
            bool weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            long rows = day == DroppedDay ? 1_200 : (long)((weekend ? 3_000 : 10_000) * (1 + ((random.NextDouble() - 0.5) * 0.08)));
            DateTimeOffset at = day == LateDay ? date.AddHours(11.5) : date.AddHours(2).AddMinutes((random.NextDouble() - 0.5) * 20);
            var actions = new List<object>();
            if (day == SchemaDay)
            {
                actions.Add(Metadata(Schema(true)));
            }

            actions.Add(new
            {
                add = new
                {
                    path = $"part-{day:D3}.parquet",
                    partitionValues = new Dictionary<string, string>(),
                    size = rows * 20,
                    modificationTime = at.ToUnixTimeMilliseconds(),
                    dataChange = true,
                    stats = JsonSerializer.Serialize(new
                    {
                        numRecords = rows,
                        minValues = new { id = day * 100_000, note = "a" + day.ToString("D2", CultureInfo.InvariantCulture) },
                        maxValues = new { id = (day * 100_000) + rows - 1, note = "z" + day.ToString("D2", CultureInfo.InvariantCulture) },
                        nullCount = new { id = 0, note = rows / 10 },
                    }),
                },
            });
            Write(log, day + 1, at, [.. actions]);
        }
    }

    public DeltaTable Table => new(new LocalObjectStore(_path));

    /// <summary>The version of a day's load (version 0 created the table).</summary>
    public static long VersionOf(int day) => day + 1;

    public void Dispose() => _owned?.Dispose();

    private static string Schema(bool withDiscount) => JsonSerializer.Serialize(new
    {
        type = "struct",
        fields = new List<object>
        {
            new { name = "id", type = "long", nullable = false, metadata = new { } },
            new { name = "note", type = "string", nullable = true, metadata = new { } },
        }.Concat(withDiscount ? [new { name = "discount", type = "double", nullable = true, metadata = new { } }] : []),
    });

    private static object Metadata(string schema) => new
    {
        metaData = new
        {
            id = "6f1c2b9e-0000-4000-8000-000000000019",
            format = new { provider = "parquet", options = new { } },
            schemaString = schema,
            partitionColumns = Array.Empty<string>(),
            configuration = new Dictionary<string, string> { ["delta.enableInCommitTimestamps"] = "true" },
            createdTime = Start.AddDays(-1).ToUnixTimeMilliseconds(),
        },
    };

    private static void Write(string log, long version, DateTimeOffset at, params object[] actions)
    {
        object commitInfo = new { commitInfo = new { inCommitTimestamp = at.ToUnixTimeMilliseconds(), timestamp = at.ToUnixTimeMilliseconds(), operation = "WRITE" } };
        File.WriteAllLines(Path.Combine(log, $"{version:D20}.json"), new[] { commitInfo }.Concat(actions).Select(a => JsonSerializer.Serialize(a)));
    }
}
