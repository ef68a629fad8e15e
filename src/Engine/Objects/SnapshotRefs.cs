using System.Globalization;
using System.Text;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// Keeps a store's retained snapshots reachable from one ref, <see cref="KeptRef"/>, so that <c>git gc</c>,
/// <c>git repack</c> or <c>git fsck</c> run on the store by anyone keep every one of them, and collection finds them.
/// <list type="bullet">
/// <item><see cref="Keep"/> (each recorded snapshot) appends one commit whose tree is the snapshot: O(1), whatever the history.</item>
/// <item><see cref="KeepExactly"/> (each collection, with the retained set) replaces the chain by a single commit whose
/// tree lists every retained snapshot as a subtree named by its hash: one object of about 60 bytes per snapshot, and
/// a dropped snapshot is no longer reachable.</item>
/// </list>
/// The commits are ordinary (git log, git show and fsck --strict read them); the service needs no other state in git.
/// </summary>
public sealed class SnapshotRefs(ObjectStore store)
{
    public const string KeptRef = "refs/agentsnapshots/kept";

    private const string Identity = "AgentSnapshots <agentsnapshots@localhost>";
    private const string AppendedMessage = "AgentSnapshots: keep snapshot";
    private const string SetMessage = "AgentSnapshots: kept set";

    /// <summary>The commit this object last wrote to the ref or read from it, and what it holds: the next <see cref="Keep"/> on top of it need not read it again.</summary>
    private (GitObjectId Commit, GitObjectId Tree, bool IsSet)? _tip;

    /// <summary>Makes <paramref name="tree"/> reachable from the ref (one commit on top of it; nothing if it is already the newest).</summary>
    public void Keep(GitObjectId tree)
    {
        var tip = GitRefs.Read(store.GitDir, KeptRef);
        var parent = tip is { } t && store.Contains(t) ? tip : null;
        if (parent is { } p && Known(p) is { } top && top.Tree == tree && !top.IsSet)
        {
            return;
        }
        var commit = WriteCommit(tree, parent, $"{AppendedMessage} {tree}");
        GitRefs.Write(store.GitDir, KeptRef, commit, durable: false);
        _tip = (commit, tree, false);
    }

    /// <summary>The tree of tip commit <paramref name="tip"/> and whether it is a kept set: remembered if this object wrote it, else read.</summary>
    private (GitObjectId Tree, bool IsSet)? Known(GitObjectId tip)
    {
        if (_tip is { } cached && cached.Commit == tip) return (cached.Tree, cached.IsSet);
        if (ParseCommit(tip) is not { } parsed) return null;
        _tip = (tip, parsed.Tree, parsed.IsSet);
        return (parsed.Tree, parsed.IsSet);
    }

    /// <summary>
    /// Makes exactly <paramref name="trees"/> reachable from the ref, and durably so (the ref is synced to disk before
    /// this returns, so a collection that then deletes what is no longer kept never leaves the ref naming a deleted object).
    /// </summary>
    public void KeepExactly(IEnumerable<GitObjectId> trees)
    {
        ArgumentNullException.ThrowIfNull(trees);
        // Only what the store holds: a ref must never lead to a missing object (git gc and fsck would fail on it).
        var kept = trees.Distinct().Where(t => store.Contains(t) && store.ReadTypeAndSize(t).Type == GitObjectType.Tree).ToList();
        var index = store.WriteTree(kept.Select(t => new TreeEntry(t.ToHex(), EntryMode.Directory, t)));
        var commit = WriteCommit(index, null, $"{SetMessage}: {kept.Count.ToString(CultureInfo.InvariantCulture)} snapshots, each a subtree named by its hash");
        GitRefs.Write(store.GitDir, KeptRef, commit, durable: true);
        // The commits of the chain this replaces are unreachable now; a commit-graph git wrote may list them.
        GitCaches.RemoveCommitGraphs(store.ObjectsDirectory);
    }

    /// <summary>The snapshots the ref keeps now (newest appended first, then the kept set in hash order).</summary>
    public IReadOnlyList<GitObjectId> Kept()
    {
        var result = new List<GitObjectId>();
        var next = GitRefs.Read(store.GitDir, KeptRef);
        while (next is { } id && ParseCommit(id) is { } commit)
        {
            if (commit.IsSet)
            {
                result.AddRange(store.ReadTree(commit.Tree).Select(e => e.Id));
                break;
            }
            result.Add(commit.Tree);
            next = commit.Parent;
        }
        return result;
    }

    private GitObjectId WriteCommit(GitObjectId tree, GitObjectId? parent, string message)
    {
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .Append("tree ").Append(tree.ToHex()).Append('\n');
        if (parent is { } p) text.Append("parent ").Append(p.ToHex()).Append('\n');
        text.Append("author ").Append(Identity).Append(' ').Append(seconds).Append(" +0000\n")
            .Append("committer ").Append(Identity).Append(' ').Append(seconds).Append(" +0000\n")
            .Append('\n').Append(message).Append('\n');
        return store.WriteObject(GitObjectType.Commit, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private (GitObjectId Tree, GitObjectId? Parent, bool IsSet)? ParseCommit(GitObjectId id)
    {
        var commit = GitCommit.Parse(store.ReadSmallObject(id, GitObjectType.Commit));
        if (commit.Tree is not { } tree) return null;
        return (tree, commit.Parents.Count > 0 ? commit.Parents[0] : null, commit.Message.StartsWith(SetMessage, StringComparison.Ordinal));
    }
}
