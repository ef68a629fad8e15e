using System.Text;

namespace AgentSnapshots.Engine.Objects;

/// <summary>The parts of a commit (or the target of a tag) that reachability needs: its tree, parents, and message.</summary>
internal sealed record GitCommit(GitObjectId? Tree, IReadOnlyList<GitObjectId> Parents, GitObjectId? TagTarget, string Message)
{
    /// <summary>Reads a commit's or a tag's headers ("tree", "parent", "object" lines) and message.</summary>
    public static GitCommit Parse(ReadOnlySpan<byte> content)
    {
        GitObjectId? tree = null;
        GitObjectId? target = null;
        var parents = new List<GitObjectId>();
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            content = end < 0 ? [] : content[(end + 1)..];
            if (line.IsEmpty) break;
            var text = Encoding.ASCII.GetString(line);
            if (text.StartsWith("tree ", StringComparison.Ordinal) && GitObjectId.TryParse(text[5..], out var t)) tree = t;
            else if (text.StartsWith("parent ", StringComparison.Ordinal) && GitObjectId.TryParse(text[7..], out var p)) parents.Add(p);
            else if (text.StartsWith("object ", StringComparison.Ordinal) && GitObjectId.TryParse(text[7..], out var o)) target = o;
        }
        return new GitCommit(tree, parents, target, Encoding.UTF8.GetString(content));
    }
}
