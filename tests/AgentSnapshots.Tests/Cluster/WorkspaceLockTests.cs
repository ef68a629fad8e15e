using System.Diagnostics;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// The single-writer lock of a workspace store. The other holder is a real second process, util-linux
/// <c>flock(1)</c> on the same file: that it and .NET exclude each other shows .NET's <c>FileShare.None</c> is an
/// OS <c>flock</c> (what silos on a shared volume rely on), and killing it shows the kernel frees a dead holder's lock.
/// </summary>
public sealed class WorkspaceLockTests
{
    [Fact]
    public void Two_handles_in_one_process_exclude_each_other_until_the_first_is_released()
    {
        using var temp = new TempDirectory("as-lock");
        var store = temp.Combine("ws-1");

        var first = WorkspaceLock.TryAcquire(store);
        Assert.NotNull(first);
        Assert.Null(WorkspaceLock.TryAcquire(store));

        first.Dispose();
        using var second = WorkspaceLock.TryAcquire(store);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Another_process_holding_the_lock_makes_acquire_wait_then_fail_retryably()
    {
        using var temp = new TempDirectory("as-lock");
        var store = temp.Combine("ws-2");
        Directory.CreateDirectory(store);
        using var holder = StartFlockHolder(Path.Combine(store, WorkspaceLock.FileName));
        try
        {
            var waited = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<WorkspaceLockedException>(() => WorkspaceLock.AcquireAsync(store, TimeSpan.FromMilliseconds(600)));
            Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(500), $"gave up after {waited.Elapsed}");
            Assert.Contains("retry", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_killed_holder_process_leaves_no_stale_lock()
    {
        using var temp = new TempDirectory("as-lock");
        var store = temp.Combine("ws-3");
        Directory.CreateDirectory(store);
        using var holder = StartFlockHolder(Path.Combine(store, WorkspaceLock.FileName));

        // A waiter is blocked while the holder lives...
        var waiting = WorkspaceLock.AcquireAsync(store, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);

        // ...and gets the lock as soon as the holder is SIGKILLed: the kernel dropped the lock with the process.
        holder.Kill(entireProcessTree: true);
        await holder.WaitForExitAsync();
        using var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(File.Exists(taken.Path));
    }

    [Fact]
    public void A_lock_held_here_is_seen_by_another_process()
    {
        using var temp = new TempDirectory("as-lock");
        var store = temp.Combine("ws-4");
        var path = Path.Combine(store, WorkspaceLock.FileName);

        using (WorkspaceLock.TryAcquire(store))
        {
            Assert.Equal(1, RunFlock("-n", path)); // busy: flock -n exits 1
        }

        Assert.Equal(0, RunFlock("-n", path));
    }

    [Fact]
    public async Task A_lock_set_releases_every_lock_it_holds_when_disposed()
    {
        using var temp = new TempDirectory("as-lock");
        var set = new WorkspaceLockSet();
        await set.AcquireAsync(temp.Combine("ws-a"), TimeSpan.Zero);
        var b = await set.AcquireAsync(temp.Combine("ws-b"), TimeSpan.Zero);
        b.Dispose();
        Assert.Equal(1, set.Count);

        set.Dispose();

        using var again = WorkspaceLock.TryAcquire(temp.Combine("ws-a"));
        Assert.NotNull(again);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => set.AcquireAsync(temp.Combine("ws-c"), TimeSpan.Zero));
    }

    /// <summary><c>flock -x -o FILE sleep 600</c>, returned once it holds the lock.</summary>
    internal static Process StartFlockHolder(string path)
    {
        var psi = new ProcessStartInfo("flock") { UseShellExecute = false };
        // -o: the sleeping child does not inherit the descriptor, so only the flock process itself holds the lock.
        foreach (var a in new[] { "-x", "-o", path, "sleep", "600" })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var deadline = Stopwatch.StartNew();
        while (RunFlock("-n", path) == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "flock(1) did not take the lock");
            Thread.Sleep(50);
        }

        return process;
    }

    private static int RunFlock(string mode, string path)
    {
        var psi = new ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (var a in new[] { mode, path, "true" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
