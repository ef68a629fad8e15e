namespace AgentSnapshots.Tests.Support;

/// <summary>
/// A thread that keeps swapping workspace directories for symlinks to outside directories and back, while a test
/// runs snapshots or restores against them: each directory is moved aside, a symlink to its outside twin put in its
/// place, then the directory put back. Runs on its own thread: a busy test run's thread pool could start it only
/// after the operations it should race are done.
/// </summary>
public sealed class SymlinkSwapRacer : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _racing;
    private int _swaps;

    /// <param name="pairs">Each workspace directory and the outside directory its symlink points to, swapped in turn.</param>
    public SymlinkSwapRacer(params (string Inside, string Outside)[] pairs)
        : this(TimeSpan.Zero, pairs)
    {
    }

    /// <param name="rest">How long the real directories stay in place after each round (zero: swap again at once).</param>
    /// <param name="pairs">Each workspace directory and the outside directory its symlink points to, swapped in turn.</param>
    public SymlinkSwapRacer(TimeSpan rest, params (string Inside, string Outside)[] pairs) =>
        _racing = Task.Factory.StartNew(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var (inside, outside) in pairs)
                {
                    if (Swap(inside, outside)) Interlocked.Increment(ref _swaps);
                }
                if (rest > TimeSpan.Zero) Thread.Sleep(rest);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Completed swaps so far.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    /// <summary>Stops the racing and waits for the thread to put things back.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _racing;
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>One swap of <paramref name="inside"/> for a symlink to <paramref name="outside"/> and back; false if the test's own operations got in the way.</summary>
    private static bool Swap(string inside, string outside)
    {
        var moved = inside + ".moved";
        try
        {
            Directory.Move(inside, moved);
            File.CreateSymbolicLink(inside, outside);
            Thread.Yield();
            File.Delete(inside);
            Directory.Move(moved, inside);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another pair's swap moved this one's parent away for a moment, or a restore replaced the symlink
            // with a directory of its own while the real one was aside: put things back as far as possible.
            try
            {
                if (new FileInfo(inside).LinkTarget is not null) File.Delete(inside);
                if (Directory.Exists(moved) && Directory.Exists(inside)) Directory.Delete(moved, recursive: true);
                if (Directory.Exists(moved) && !Path.Exists(inside)) Directory.Move(moved, inside);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // The operation under test is moving things too; the next round tries again.
            }
            return false;
        }
    }
}
