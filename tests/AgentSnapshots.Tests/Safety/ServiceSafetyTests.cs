using System.Globalization;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Service;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Safety;

/// <summary>Concurrency on one workspace and restore failures, through the session grains on a real cluster.</summary>
public sealed class ServiceSafetyTests(ServiceClusterFixture fixture)
{
    private static void Write(string dir, string relative, string text)
    {
        var full = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private string StoreOf(string dir) =>
        Path.Combine(fixture.DataDir, "workspaces", WorkspaceIdentity.IdFor(WorkspaceIdentity.RealPath(dir)!));

    [Fact]
    public async Task Eight_sessions_tracking_and_diffing_one_workspace_at_once_all_succeed_with_consistent_trees()
    {
        const int sessions = 10;
        const int rounds = 4;
        var dir = fixture.NewWorkspace("concurrent");
        for (var i = 0; i < 50; i++) Write(dir, $"src/f{i:D2}.txt", string.Concat(Enumerable.Repeat($"line {i}\n", 20)));

        var results = await Task.WhenAll(Enumerable.Range(0, sessions).Select(n => Task.Run(async () =>
        {
            var session = fixture.Grains.GetGrain<ISessionGrain>($"concurrent-{n}");
            var seen = new List<(string From, string To, DiffSummary Summary)>();
            var first = await session.TrackAsync(dir, $"s{n} start");
            var previous = first.Hash;
            for (var round = 0; round < rounds; round++)
            {
                // Each session edits its own file, so the trees keep changing under the others' feet.
                Write(dir, $"own/s{n}.txt", string.Create(CultureInfo.InvariantCulture, $"session {n} round {round}\n"));
                var now = await session.TrackAsync(null, null);
                var summary = await session.DiffAsync(previous.AsHash(), now.Hash.AsHash());
                var toNow = await session.DiffAsync(first.Hash.AsHash(), null);
                seen.Add((previous, now.Hash, summary));
                Assert.Equal(first.Hash, toNow.From);
                previous = now.Hash;
            }
            var changes = await session.ChangesAsync(first.Hash.AsHash());
            return (Session: session, Seen: seen, Changes: changes);
        })));

        var store = StoreOf(dir);
        foreach (var (session, seen, _) in results)
        {
            var history = await session.HistoryAsync();
            Assert.Equal(rounds + 1, history.Snapshots.Count);
            foreach (var snapshot in history.Snapshots)
            {
                Assert.Equal("tree", Git.Run(dir, "--git-dir", store, "cat-file", "-t", snapshot.Hash).Trim());
            }
            foreach (var (from, to, summary) in seen)
            {
                // Our counts agree with git's on the same two trees.
                var numstat = Git.Run(dir, "--git-dir", store, "diff", "--minimal", "--numstat", from, to)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => l.Split('\t'))
                    .ToDictionary(p => p[2], p => (long.Parse(p[0], CultureInfo.InvariantCulture), long.Parse(p[1], CultureInfo.InvariantCulture)));
                Assert.Equal(numstat.Keys.Order(StringComparer.Ordinal), summary.Files.Select(f => f.File).Order(StringComparer.Ordinal));
                foreach (var file in summary.Files) Assert.Equal(numstat[file.File], (file.Additions, file.Deletions));
            }
        }
        Git.Run(dir, "--git-dir", store, "fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public async Task A_restore_that_fails_halfway_still_records_its_safety_snapshot_which_undoes_it()
    {
        var dir = fixture.NewWorkspace("failing-restore");
        Write(dir, ".gitignore", "*.cache\n");
        Write(dir, "a.txt", "a1\n");
        Write(dir, "m/inner.txt", "m was a directory\n");
        var session = fixture.Grains.GetGrain<ISessionGrain>("failing-restore");
        var v1 = await session.TrackAsync(dir, "v1");
        Write(dir, ".gitignore", "*.cache\nm\n");
        Write(dir, "a.txt", "a2\n");
        Directory.Delete(Path.Combine(dir, "m"), recursive: true);
        Write(dir, "m", "the user's ignored file\n");
        var before = Shell.Run(dir, "{ find . -printf '%y %m %s %p -> %l\\n'; find . -type f -exec sha1sum {} +; } | LC_ALL=C sort");

        var e = await Assert.ThrowsAnyAsync<Exception>(() => session.RestoreAsync(v1.Hash.AsHash()));

        var history = await session.HistoryAsync();
        Assert.Equal(2, history.Snapshots.Count);
        var safety = history.Snapshots[^1];
        Assert.Equal($"safety: before restore to {v1.Hash[..8]}", safety.Label);
        Assert.Contains(safety.Hash, e.Message, StringComparison.Ordinal);
        Assert.Equal("a1\n", File.ReadAllText(Path.Combine(dir, "a.txt")));

        await session.RestoreAsync(safety.Hash.AsHash());
        Assert.Equal(before, Shell.Run(dir, "{ find . -printf '%y %m %s %p -> %l\\n'; find . -type f -exec sha1sum {} +; } | LC_ALL=C sort"));
    }
}
