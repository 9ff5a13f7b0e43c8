using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines.Privacy;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    /// <summary>
    /// The project's <c>pii_guard</c>: samples the text columns of a silver or gold model's result that the model does not
    /// classify, and notes (warn) or refuses (fail) those holding personal identifiers, before anything is committed.
    /// </summary>
    private async Task GuardPiiAsync(string relation, CancellationToken cancellationToken)
    {
        if (_run.Project.PiiGuard == PiiGuardMode.Off
            || !(string.Equals(_model.Name.Namespace, "silver", StringComparison.OrdinalIgnoreCase) || string.Equals(_model.Name.Namespace, "gold", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        var classified = new HashSet<string>(
            (await ColumnDocsAsync(cancellationToken).ConfigureAwait(false)).Where(c => c.Classification is not null).Select(c => c.Name), StringComparer.OrdinalIgnoreCase);
        List<string> unclassified = (await PiiSampler.TextColumnsAsync(_connection, relation, cancellationToken).ConfigureAwait(false))
            .Where(c => !classified.Contains(c) && SystemColumns.Describe(c) is null)
            .ToList();
        IReadOnlyList<PiiColumnSample> samples = await PiiSampler.SampleAsync(_connection, relation, unclassified, PiiSampler.DefaultSampleRows, cancellationToken).ConfigureAwait(false);
        List<string> found = samples.Where(s => s.Dominant is not null)
            .Select(s => $"'{s.Column}' ({PiiDetector.Describe(s.Dominant!.Value)} in {s.Shares[0].Share:P0} of sampled values)")
            .ToList();
        if (found.Count == 0)
        {
            return;
        }

        string what = $"model {_model.Name} writes personal data into unclassified column{(found.Count == 1 ? string.Empty : "s")} {string.Join(", ", found)}";
        if (_run.Project.PiiGuard == PiiGuardMode.Fail)
        {
            throw new MedallionException(
                ErrorCode.ModelPiiUnclassified,
                $"{_model.FilePath}: {what}, and pii_guard is 'fail', so nothing was committed.\nHelp: classify the column{(found.Count == 1 ? string.Empty : "s")} in the model's config (columns: <name>: classification: pii; 'medallion pii scan {_model.Name} --write' does it), or drop the data from the model.",
                location: Config.Location);
        }

        _notes.Add("pii_guard: " + what);
    }
}
