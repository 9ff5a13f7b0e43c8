using System;
using System.Threading.Tasks;
using Medallion.Cli;

return await MedallionCli.RunAsync(args).ConfigureAwait(false);
