namespace AgentSnapshots.Engine.Diff;

/// <summary>Builds the size-capped DiffSummary of two trees of one object store, in bounded memory.</summary>
public sealed class DiffSummaryBuilder(ObjectStore store, SummaryOptions limits)
{
    public DiffSummary Summarize(GitObjectId from, GitObjectId to, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException($"{store.GitDir} {limits.MaxFiles} {from} {to} {cancellationToken}");
}
