using System;
using System.Diagnostics;
using System.Globalization;
using Medallion.DuckDb;
using Medallion.DuckDb.Benchmarks;

// Scenario benchmarks of the DuckDB layer. Each scenario measures its in-engine baseline in the same
// run, so the ratio stays fair on a noisy machine. Usage: [rows] (default 10,000,000).
long rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
Console.WriteLine($"Medallion.DuckDb benchmarks: DuckDB {DuckDbDatabase.LibraryVersion}, {rows:N0} rows, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

using DuckDbDatabase database = DuckDbDatabase.Open();
using DuckDbConnection connection = database.CreateConnection();

Stopwatch setup = Stopwatch.StartNew();
Sql.Execute(connection, $"CREATE TABLE source AS SELECT i::BIGINT AS id, (i * 0.5)::DOUBLE AS amount, 'customer-' || (i % 100000) AS customer FROM range({rows}) t(i)");
Console.WriteLine($"setup: {rows:N0} rows of (BIGINT, DOUBLE, VARCHAR) in {setup.Elapsed.TotalSeconds:0.00} s");
Console.WriteLine();

ReadScenario.Run(connection, rows);
Console.WriteLine();
AppendScenario.Run(connection, rows);
