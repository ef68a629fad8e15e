using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>
/// Every session operation with every kind of bad argument, through <see cref="ISessionGrain"/> on a real cluster:
/// each is refused with its exact <see cref="RequestError"/>, and neither the files on disk (workspace and outside)
/// nor the stored state (histories, the workspace's object store) change.
/// </summary>
public sealed class BadInputTests(ServiceClusterFixture fixture)
{
    /// <summary>One workspace with two sessions on it, and the things a bad argument can point at.</summary>
    public sealed class Scene
    {
        public required ServiceClusterFixture Fixture { get; init; }
        public required string Dir { get; init; }
        public required string Outside { get; init; }
        public required ISessionGrain Main { get; init; }
        public required ISessionGrain Other { get; init; }
        public required ISessionGrain Fresh { get; init; }
        public required string V1 { get; init; }
        public required string V2 { get; init; }
        public required string OtherHash { get; init; }
        public required string BlobHash { get; init; }
        public required string EscapeLink { get; init; }
        public required string PlainFile { get; init; }
        public required string SecondDir { get; init; }
        public ISessionGrain Session(string id) => Fixture.Grains.GetGrain<ISessionGrain>(id);
    }

    private sealed record Case(RequestError Error, Func<Scene, Task> Call);

    private static readonly string Unknown = new('a', 40);

    private static readonly Dictionary<string, Case> Cases = BuildCases();

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    private static Dictionary<string, Case> BuildCases()
    {
        var cases = new Dictionary<string, Case>(StringComparer.Ordinal);
        void Add(string name, RequestError error, Func<Scene, Task> call) => cases.Add(name, new Case(error, call));

        // A session that was never tracked.
        Add("unknown session: changes", RequestError.UnknownSession, s => s.Fresh.ChangesAsync(s.V1.AsHash()));
        Add("unknown session: diff", RequestError.UnknownSession, s => s.Fresh.DiffAsync(s.V1.AsHash(), null));
        Add("unknown session: restore", RequestError.UnknownSession, s => s.Fresh.RestoreAsync(s.V1.AsHash()));
        Add("unknown session: revert", RequestError.UnknownSession, s => s.Fresh.RevertAsync(s.V1.AsHash(), ["a.txt"]));
        Add("unknown session: track without dir", RequestError.UnknownSession, s => s.Fresh.TrackAsync(null, "x"));

        // Hash arguments: malformed, unknown, another session's, a blob's.
        var hashArguments = new (string Verb, Func<Scene, string, Task> Call)[]
        {
            ("changes --since", (s, h) => s.Main.ChangesAsync(h.AsHash())),
            ("diff --from", (s, h) => s.Main.DiffAsync(h.AsHash(), null)),
            ("diff --to", (s, h) => s.Main.DiffAsync(s.V1.AsHash(), h.AsHash())),
            ("restore --to", (s, h) => s.Main.RestoreAsync(h.AsHash())),
            ("revert --to", (s, h) => s.Main.RevertAsync(h.AsHash(), ["a.txt"])),
        };
        string?[] malformed = ["", " ", "abc", new string('0', 39), new string('0', 41), "zz" + new string('0', 38), new string('g', 40), "0000000000 000000000000000000000000000000", "../../../etc/passwd", null];
        foreach (var (verb, call) in hashArguments)
        {
            foreach (var bad in malformed)
            {
                if (bad is null && verb == "diff --to") continue; // null there means "the workspace now"

                Add($"malformed hash '{bad ?? "null"}': {verb}", RequestError.MalformedId, s => call(s, bad!));
            }
            Add($"unknown hash: {verb}", RequestError.UnknownSnapshot, s => call(s, Unknown));
            Add($"another session's hash: {verb}", RequestError.UnknownSnapshot, s => call(s, s.OtherHash));
            Add($"blob hash: {verb}", RequestError.UnknownSnapshot, s => call(s, s.BlobHash));
        }

        // Directories, on a fresh session (would bind) and on the bound one.
        var directories = new (string What, RequestError Error, Func<Scene, string> Dir)[]
        {
            ("outside the roots", RequestError.OutsideWorkspaceRoots, s => s.Outside),
            (".. escape", RequestError.OutsideWorkspaceRoots, s => s.Fixture.Roots + "/../outside"),
            ("symlink escape", RequestError.OutsideWorkspaceRoots, s => s.EscapeLink),
            ("the filesystem root", RequestError.OutsideWorkspaceRoots, _ => "/"),
            ("relative", RequestError.InvalidPath, _ => "work/ws"),
            ("relative with a newline", RequestError.InvalidPath, _ => "work\nws"),
            ("missing with a newline", RequestError.MissingDirectory, s => s.Dir + "\nmissing"),
            ("dot", RequestError.InvalidPath, _ => "."),
            ("NUL inside", RequestError.InvalidPath, s => s.Dir + "\0/x"),
            ("missing", RequestError.MissingDirectory, s => s.Dir + "-missing"),
            ("a file", RequestError.MissingDirectory, s => s.PlainFile),
            ("empty", RequestError.MissingDirectory, _ => ""),
            ("blank", RequestError.MissingDirectory, _ => "   "),
        };
        foreach (var (what, error, dir) in directories)
        {
            Add($"directory {what}: track on a new session", error, s => s.Fresh.TrackAsync(dir(s), null));
            Add($"directory {what}: track on the bound session", error, s => s.Main.TrackAsync(dir(s), null));
        }
        Add("another workspace: track on the bound session", RequestError.WorkspaceMismatch, s => s.Main.TrackAsync(s.SecondDir, null));

        // Revert file arguments.
        string[] badPaths = ["/etc/passwd", "/", "../outside/secret.txt", "a/../../x", "src/../../x", "", " ", ".", "./", ".git", ".git/config", "src/.git/HEAD", "a\0b", "/etc/\npasswd", "../new\nline"];
        foreach (var bad in badPaths)
        {
            Add($"revert path '{MessageText.Shown(bad)}'", RequestError.InvalidPath, s => s.Main.RevertAsync(s.V1.AsHash(), ["a.txt", bad]));
        }
        Add("revert with no paths", RequestError.InvalidPath, s => s.Main.RevertAsync(s.V1.AsHash(), []));
        Add("revert with a null list", RequestError.InvalidPath, s => s.Main.RevertAsync(s.V1.AsHash(), null!));

        // Session ids.
        string[] badIds = ["has space", new string('s', 129), "a/b", "../x", "séance", "a\0b", "tab\tid", "new\nline", "*"];
        foreach (var id in badIds)
        {
            var shown = id.Length > 20 ? $"{id.Length} chars" : id.Replace("\0", "\\0", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
            Add($"session id '{shown}': track", RequestError.MalformedId, s => s.Session(id).TrackAsync(s.Dir, null));
            Add($"session id '{shown}': history", RequestError.MalformedId, s => s.Session(id).HistoryAsync());
            Add($"session id '{shown}': changes", RequestError.MalformedId, s => s.Session(id).ChangesAsync(s.V1.AsHash()));
            Add($"session id '{shown}': diff", RequestError.MalformedId, s => s.Session(id).DiffAsync(s.V1.AsHash(), null));
            Add($"session id '{shown}': restore", RequestError.MalformedId, s => s.Session(id).RestoreAsync(s.V1.AsHash()));
            Add($"session id '{shown}': revert", RequestError.MalformedId, s => s.Session(id).RevertAsync(s.V1.AsHash(), ["a.txt"]));
        }
        return cases;
    }

    private async Task<Scene> Build(string caseName)
    {
        var tag = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(caseName)))[..12];
        var dir = fixture.NewWorkspace("bad-" + tag);
        Write(dir, ".gitignore", "*.log\n");
        Write(dir, "a.txt", "v1\n");
        Write(dir, "src/b.txt", "b\n");
        Write(dir, "debug.log", "ignored\n");
        var blob = Git.Run(dir, "hash-object", Path.Combine(dir, "a.txt")).Trim();
        var main = fixture.Grains.GetGrain<ISessionGrain>("bad-main-" + tag);
        var other = fixture.Grains.GetGrain<ISessionGrain>("bad-other-" + tag);
        var v1 = await main.TrackAsync(dir, "v1");
        Write(dir, "a.txt", "v2\n");
        var v2 = await main.TrackAsync(null, "v2");
        Write(dir, "other.txt", "only in the other session's snapshot\n");
        var otherHash = await other.TrackAsync(dir, null);
        File.Delete(Path.Combine(dir, "other.txt"));
        Write(dir, "a.txt", "now\n");

        var outside = Path.Combine(fixture.Outside, tag);
        Write(outside, "secret.txt", "outside\n");
        var escape = Path.Combine(fixture.Roots, "escape-" + tag);
        if (!Path.Exists(escape)) File.CreateSymbolicLink(escape, outside);
        var plain = Path.Combine(fixture.Roots, "plain-" + tag);
        File.WriteAllText(plain, "a file, not a directory\n");
        var second = fixture.NewWorkspace("second-" + tag);

        return new Scene
        {
            Fixture = fixture,
            Dir = dir,
            Outside = outside,
            Main = main,
            Other = other,
            Fresh = fixture.Grains.GetGrain<ISessionGrain>("bad-fresh-" + tag),
            V1 = v1.Hash,
            V2 = v2.Hash,
            OtherHash = otherHash.Hash,
            BlobHash = blob,
            EscapeLink = escape,
            PlainFile = plain,
            SecondDir = second,
        };
    }

    private sealed record State(string Workspace, string Outside, string MainHistory, string OtherHistory, string FreshHistory, int Objects, string Stores);

    private async Task<State> Capture(Scene s)
    {
        static string Show(SessionHistory h) =>
            $"{h.Workspace}|{string.Join(",", h.Snapshots.Select(x => $"{x.Hash}:{x.Label}:{x.Files}:{x.Skipped}:{x.Time.UtcTicks}"))}";
        var store = Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(s.Dir)!), "objects");
        // Which of the directories a case can name has a store: a refused call creates none. (Other test classes
        // create stores in the same data directory meanwhile, so the stores are not counted.)
        string[] named = [s.Dir, s.SecondDir, s.Outside, s.EscapeLink, s.PlainFile, s.Dir + "-missing", fixture.Outside, fixture.Roots, "/"];
        var stores = string.Join(",", named.Select(d =>
            Directory.Exists(Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(d) ?? d))) ? "store" : "none"));
        return new State(
            TreeFingerprint.Of(s.Dir),
            TreeFingerprint.Of(s.Outside),
            Show(await s.Main.HistoryAsync()),
            Show(await s.Other.HistoryAsync()),
            Show(await s.Fresh.HistoryAsync()),
            Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).Count(),
            stores);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Is_refused_with_its_error_and_changes_nothing(string caseName)
    {
        var @case = Cases[caseName];
        var scene = await Build(caseName);
        var before = await Capture(scene);

        var e = await Assert.ThrowsAsync<SnapshotRequestException>(() => @case.Call(scene));

        Assert.Equal(@case.Error, e.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.DoesNotContain('\n', e.Message.TrimEnd());
        var after = await Capture(scene);
        Assert.Equal(before, after);
    }

    private static void Write(string dir, string relative, string text)
    {
        var full = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
