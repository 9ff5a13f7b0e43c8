using Medallion.Pipelines;

namespace Medallion.Platform;

/// <summary>The project a database source given as a URL lands in (see <see cref="SourceIngestion.PrepareUrlSourceAsync"/>).</summary>
/// <param name="Environment">The project's environment, loaded after its settings were written when missing: the caller's to dispose.</param>
/// <param name="Source">The source, with its one table.</param>
/// <param name="CreatedSettingsFile">The <c>medallion.yml</c> written for it; null when the directory had one already.</param>
public sealed record UrlSourceProject(ProjectEnvironment Environment, DatabaseSourceDefinition Source, string? CreatedSettingsFile);
