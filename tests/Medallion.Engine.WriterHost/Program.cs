using System.Globalization;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.WriterHost;

// Usage: <operation> <table> <step>            one crash-workload operation (prints "ready", then "done")
//        append <table> <appender> <commits>    concurrency appender
//        merge <table> <merger> <merges>        concurrency merger
//        kafka <table> <target> <bootstrap> <topic> <group>   Kafka ingestion streaming until killed
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
    case "merge" when args.Length > 3:
        await ConcurrencyWorkload.MergeAsync(writer, path, a, int.Parse(args[3], CultureInfo.InvariantCulture), Console.Out);
        break;
    default:
        DeltaOperationResult result = await CrashWorkload.RunAsync(writer, operation, path, a);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {result.Version} {result.Committed}"));
        break;
}

Console.Out.Flush();
