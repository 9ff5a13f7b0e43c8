using System.Globalization;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.WriterHost;

// Usage: <operation> <table> <step>            one crash-workload operation (prints "ready", then "done")
//        append <table> <appender> <commits>    concurrency appender
//        merge <table> <merger> <merges>        concurrency merger
//        kafka <table> <target> <bootstrap> <topic> <group>   Kafka ingestion streaming until killed
//        large <table> <rows>                   one append of <rows> rows of random text (large files: multipart uploads)
//        large-killed-mid-file <table> <rows>   the same append, SIGKILLed by itself as soon as its data file appears
// Any of them dies at a CrashPoint when MEDALLION_TEST_KILL_AT names one.
using DuckDbDatabase database = DuckDbDatabase.Open();
using DuckDbConnection connection = database.CreateConnection();
var writer = new DeltaWriter(connection);
string operation = args[0], path = args[1];
Console.Out.WriteLine("ready");
Console.Out.Flush();
if (operation == "kafka")
{
    await KafkaWorkload.RunAsync(writer, path, args[2], args[3], args[4], args[5], Console.Out);
    return;
}

int a = int.Parse(args[2], CultureInfo.InvariantCulture);
switch (operation)
{
    case "append" when args.Length > 3:
        await ConcurrencyWorkload.AppendAsync(writer, path, a, int.Parse(args[3], CultureInfo.InvariantCulture), Console.Out);
        break;
    case "large-killed-mid-file":
        MidFileKill.Arm(path);
        await writer.WriteAsync(path, LargeRows(a));
        Console.Out.WriteLine("done (the data file was complete before the kill could land)");
        break;
    case "large":
        DeltaOperationResult large = await writer.WriteAsync(path, LargeRows(a));
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {large.Version} {large.Committed}"));
        break;
    case "merge" when args.Length > 3:
        await ConcurrencyWorkload.MergeAsync(writer, path, a, int.Parse(args[3], CultureInfo.InvariantCulture), Console.Out);
        break;
    default:
        DeltaOperationResult result = await CrashWorkload.RunAsync(writer, operation, path, a);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {result.Version} {result.Committed}"));
        break;
}

Console.Out.Flush();

/// <summary>Rows of 64 characters of hex that do not compress much, so a few million make files above the multipart threshold.</summary>
static string LargeRows(long rows) => string.Create(CultureInfo.InvariantCulture, $"SELECT i AS id, md5(CAST(i AS VARCHAR)) || md5(CAST(-i AS VARCHAR)) AS payload FROM range({rows}) t(i)");

