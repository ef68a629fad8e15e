using System.Diagnostics.Metrics;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.Engine;

/// <summary>
/// The watcher path's self-check (<see cref="WatchVerification"/>): silent on a correct workspace, even with changes
/// not tracked yet and tracks running beside it; loud once, counted and healed when the watcher really missed a change
/// (planted by removing a directory's kernel watch behind the engine's back, as a lost watch would).
/// </summary>
public sealed class WatchVerificationTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-verify");
    private readonly WatchRegistry _watches = new(new WatchOptions(), NullLogger<WatchRegistry>.Instance);
    private readonly RecordingLogger _logger = new();
    private readonly string _work;
    private readonly Workspace _workspace;

    public WatchVerificationTests()
    {
        _work = WorkspaceIdentity.RealPath(Directory.CreateDirectory(_temp.Combine("work")).FullName)!;
        var options = new SnapshotsOptions { DataDir = _temp.Combine("data"), WorkspaceRoots = [_temp.Path] };
        _workspace = Workspace.Open(_work, options, _logger, _watches);
    }

    public void Dispose()
    {
        _workspace.Dispose();
        _watches.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_correct_workspace_verifies_clean_with_changes_not_yet_tracked()
    {
        Write(".gitignore", "*.log\n");
        Write("a/one.txt", "1");
        Write("a/b/two.txt", "2");
        Write("a/skip.log", "ignored");
        File.CreateSymbolicLink(Path.Combine(_work, "link"), "a");
        Assert.Equal(FullWalkReason.FirstSnapshot, _workspace.Snapshot().FullWalk);
        Write("a/one.txt", "one");
        Write("c/three.txt", "3");
        Assert.Null(_workspace.Snapshot().FullWalk);
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);

        // Changes since the last track, each named by an event the next track applies: explained, not missed.
        Write("a/b/two.txt", "two, edited");
        Write("a/new.txt", "new");
        Directory.Delete(Path.Combine(_work, "c"), recursive: true);
        Write("d/e/f.txt", "a new subtree");
        Write("a/b/.gitignore", "two.txt\n");
        File.SetUnixFileMode(Path.Combine(_work, "a", "one.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);
        var next = _workspace.Snapshot();
        Assert.Null(next.FullWalk);
        Assert.Equal(Git.WriteTreeOf(_work), next.Hash);
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);
        Assert.DoesNotContain(_logger.Entries, e => e.Event == "WatchMissed");
    }

    [Fact]
    public void A_hard_link_made_or_removed_is_no_miss_but_a_write_under_a_kept_mtime_is()
    {
        Write("a/one.txt", "1");
        Write("b/two.txt", "2");
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        Shell.Run(outside, $"ln '{_work}/b/two.txt' two-link");
        _workspace.Snapshot();
        Assert.Null(_workspace.Snapshot().FullWalk);
        // link() and unlink() of another name set the file's ctime and raise no event for it.
        Shell.Run(_work, "ln a/one.txt one-link");
        File.Delete(Path.Combine(outside, "two-link"));
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);
        var next = _workspace.Snapshot();
        Assert.Equal(Git.WriteTreeOf(_work), next.Hash);
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);

        // Same size, the modification time set back, no event (the watch dropped): only the ctime shows it.
        _workspace.Watch!.DropKernelWatch("b");
        Shell.Run(_work, "touch -r b/two.txt ../stamp && printf X > b/two.txt && touch -r ../stamp b/two.txt");
        var result = Verify();
        Assert.Equal(VerificationOutcome.Mismatch, result.Outcome);
        Assert.Equal(["b/two.txt"], result.Paths);
    }

    [Fact]
    public void A_directory_read_again_does_not_explain_a_miss_inside_a_watched_subdirectory()
    {
        Write("p/q/inner.txt", "1");
        Write("p/other.txt", "o");
        _workspace.Snapshot();
        Assert.Null(_workspace.Snapshot().FullWalk);
        _workspace.Watch!.DropKernelWatch("p/q");
        Write("p/q/inner.txt", "edited unseen");
        // More names than the watcher keeps per directory: p's listing is read again, which does not look into p/q.
        for (var i = 0; i <= PendingDirectory.MaxNames; i++)
        {
            var churn = Path.Combine(_work, "p", "churn" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllText(churn, "");
            File.Delete(churn);
        }
        var result = Verify();
        Assert.Equal(VerificationOutcome.Mismatch, result.Outcome);
        Assert.Equal(["p/q/inner.txt"], result.Paths);
    }

    [Fact]
    public void A_missed_change_is_logged_once_counted_and_healed_by_the_next_track()
    {
        Write("a/one.txt", "1");
        Write("b/two.txt", "2");
        _workspace.Snapshot();
        Write("b/two.txt", "two");
        Assert.Null(_workspace.Snapshot().FullWalk);

        // The kernel stops watching a/ while the engine still counts on it: its changes raise no event.
        _workspace.Watch!.DropKernelWatch("a");
        Write("a/missed.txt", "no event for this one");
        Write("a/one.txt", "edited unseen");
        Write("b/seen.txt", "an event names this one");
        var missedTrack = _workspace.Snapshot();
        Assert.NotEqual(Git.WriteTreeOf(_work), missedTrack.Hash);

        var mismatches = 0L;
        var missedPaths = 0L;
        var testThread = Environment.CurrentManagedThreadId;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SnapshotMetrics.MeterName && instrument.Name.StartsWith("agentsnapshots.watch.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                // Measurements of this test's verification only (it runs on this thread; others run in parallel).
                if (Environment.CurrentManagedThreadId != testThread) return;
                if (instrument.Name == "agentsnapshots.watch.missed_paths") missedPaths += value;
                foreach (var tag in tags)
                {
                    if (tag is { Key: "outcome", Value: "mismatch" }) mismatches += value;
                }
            });
            listener.Start();
            var result = Verify();
            Assert.Equal(VerificationOutcome.Mismatch, result.Outcome);
            Assert.Equal(["a/missed.txt", "a/one.txt"], result.Paths);
            Assert.Equal(2, result.Missed);
        }
        Assert.Equal(1, mismatches);
        Assert.Equal(2, missedPaths);
        var logged = Assert.Single(_logger.Entries, e => e.Event == "WatchMissed");
        Assert.Contains("a/missed.txt, a/one.txt", logged.Message, StringComparison.Ordinal);

        var healed = _workspace.Snapshot();
        Assert.Equal(FullWalkReason.VerifyMismatch, healed.FullWalk);
        Assert.Equal(Git.WriteTreeOf(_work), healed.Hash);
        Assert.Single(_logger.Entries, e => e.Event == "FullWalk" && e.Message.Contains("(VerifyMismatch)", StringComparison.Ordinal));

        // The healing walk watched a/ again: its changes are seen, and the next verification is clean.
        Write("a/after.txt", "seen again");
        var after = _workspace.Snapshot();
        Assert.Null(after.FullWalk);
        Assert.Equal(Git.WriteTreeOf(_work), after.Hash);
        Assert.Equal(VerificationOutcome.Agreed, Verify().Outcome);
        Assert.Single(_logger.Entries, e => e.Event == "WatchMissed");
    }

    [Fact]
    public async Task A_verification_beside_running_tracks_and_edits_finds_no_false_miss()
    {
        for (var i = 0; i < 3000; i++) Write($"d{i % 9}/s{i % 4}/f{i}.txt", "content " + i);
        _workspace.Snapshot();
        Assert.Null(_workspace.Snapshot().FullWalk);
        for (var round = 0; round < 6; round++)
        {
            var verification = _workspace.StartVerification();
            Assert.NotNull(verification);
            var verifying = Task.Run(verification.Run);
            var random = new Random(round);
            // Tracks and edits while it walks: files written, created, deleted, directories created and removed.
            while (!verifying.IsCompleted)
            {
                var i = random.Next(3000);
                var dir = $"d{i % 9}/s{i % 4}";
                switch (random.Next(4))
                {
                    case 0:
                        Write($"{dir}/f{i}.txt", "edited " + random.Next());
                        break;
                    case 1:
                        Write($"{dir}/new{random.Next(20)}/g.txt", "new");
                        break;
                    case 2:
                        var gone = Path.Combine(_work, dir, $"new{random.Next(20)}");
                        if (Directory.Exists(gone)) Directory.Delete(gone, recursive: true);
                        break;
                    default:
                        _workspace.Snapshot();
                        break;
                }
            }
            var result = await verifying;
            Assert.True(result.Outcome != VerificationOutcome.Mismatch, $"round {round}: a false miss at {string.Join(", ", result.Paths)}");
        }
        Assert.Equal(Git.WriteTreeOf(_work), _workspace.Snapshot().Hash);
        Assert.DoesNotContain(_logger.Entries, e => e.Event == "WatchMissed");
    }

    [Fact]
    public void There_is_nothing_to_verify_before_the_first_track_or_without_a_watcher()
    {
        Write("a.txt", "a");
        Assert.Null(_workspace.StartVerification());
        using var unwatched = Workspace.Open(_work, new SnapshotsOptions { DataDir = _temp.Combine("data-unwatched"), WorkspaceRoots = [_temp.Path] });
        unwatched.Snapshot();
        Assert.Null(unwatched.StartVerification());
    }

    private VerificationResult Verify() => (_workspace.StartVerification() ?? throw new InvalidOperationException("nothing to verify")).Run();

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
