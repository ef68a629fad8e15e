using System.Diagnostics;
using System.Runtime.InteropServices;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.SystemCalls;

namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// The single-writer guard of one workspace's object store across processes and machines that share the data
/// directory: an exclusive OS lock on <c>agentsnapshots.lock</c> inside the store. On Unix the lock is
/// <c>flock(LOCK_EX | LOCK_NB)</c> on the file, taken explicitly (the service's processes turn off .NET's own
/// <see cref="FileShare"/> emulation, which costs two calls per file opened); the kernel drops it when the holder
/// closes the file or dies (a SIGKILLed silo leaves no stale lock). Over NFS the Linux client maps
/// <c>flock</c> to a byte-range lock the server arbitrates, so silos on several machines exclude each other as well.
/// </summary>
public sealed class WorkspaceLock : IDisposable
{
    /// <summary>The lock file's name inside a workspace's store directory.</summary>
    public const string FileName = "agentsnapshots.lock";

    /// <summary>How long a new activation waits for a previous holder (a silo still deactivating) before failing.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private FileStream? _file;

    internal WorkspaceLockSet? Owner { get; set; }

    private WorkspaceLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>
    /// Takes the lock of the store in <paramref name="storeDirectory"/> (created if missing), waiting up to
    /// <paramref name="wait"/> while another live holder has it.
    /// </summary>
    /// <exception cref="WorkspaceLockedException">Another holder kept the lock for the whole wait: retry later.</exception>
    public static async Task<WorkspaceLock> AcquireAsync(string storeDirectory, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeDirectory);
        Directory.CreateDirectory(storeDirectory);
        var path = System.IO.Path.Combine(storeDirectory, FileName);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (TryOpen(path) is { } file)
            {
                var taken = new WorkspaceLock(file, path);
                taken.WriteOwner();
                return taken;
            }

            if (waited.Elapsed >= wait)
            {
                throw new WorkspaceLockedException(
                    $"The workspace store '{storeDirectory}' is locked by another silo process (a membership change or failover is in progress); retry in a few seconds.");
            }

            await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the lock if it is free now; null when another holder has it.</summary>
    public static WorkspaceLock? TryAcquire(string storeDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeDirectory);
        Directory.CreateDirectory(storeDirectory);
        var path = System.IO.Path.Combine(storeDirectory, FileName);
        if (TryOpen(path) is not { } file)
        {
            return null;
        }

        var taken = new WorkspaceLock(file, path);
        taken.WriteOwner();
        return taken;
    }

    public void Dispose()
    {
        // Closing the descriptor releases the flock; the file stays (deleting it would race a waiting opener).
        Interlocked.Exchange(ref _file, null)?.Dispose();
        Owner?.Forget(this);
    }

    private static FileStream? TryOpen(string path)
    {
        FileStream file;
        try
        {
            // On Windows FileShare.None is the lock; on Unix it is one only where .NET's emulation is on.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            // EWOULDBLOCK from .NET's flock surfaces as an IOException ("The process cannot access the file ...").
            return null;
        }
        if (OperatingSystem.IsWindows() || LinuxCalls.Flock((int)file.SafeFileHandle.DangerousGetHandle(), LinuxCalls.LockExclusive | LinuxCalls.LockNonBlocking) == 0)
        {
            return file;
        }
        var error = Marshal.GetLastPInvokeError();
        file.Dispose();
        if (error is LinuxCalls.EAGAIN or MacWouldBlock) return null;
        throw new IOException($"Could not lock '{path}': {Marshal.GetPInvokeErrorMessage(error)}.");
    }

    /// <summary>EWOULDBLOCK on macOS (on Linux it is EAGAIN).</summary>
    private const int MacWouldBlock = 35;

    /// <summary>For people looking at a stuck store: who holds it (best effort, never read by the lock itself).</summary>
    private void WriteOwner()
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetBytes($"{Environment.MachineName} pid {Environment.ProcessId} since {DateTimeOffset.UtcNow:O}\n");
            _file!.SetLength(0);
            _file.Write(text);
            _file.Flush();
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The workspace locks one silo holds, so they are all released when the silo's services are disposed even if its
/// grains never deactivated (a host stopped abruptly inside a process that lives on, as in the tests; a process
/// that dies loses its locks in the kernel anyway).
/// </summary>
public sealed class WorkspaceLockSet : IDisposable
{
    private readonly HashSet<WorkspaceLock> _held = [];
    private bool _disposed;

    /// <summary>The locks held now.</summary>
    public int Count
    {
        get
        {
            lock (_held) return _held.Count;
        }
    }

    /// <summary>As <see cref="WorkspaceLock.AcquireAsync"/>, remembering the lock until it is disposed.</summary>
    public async Task<WorkspaceLock> AcquireAsync(string storeDirectory, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var taken = await WorkspaceLock.AcquireAsync(storeDirectory, wait, cancellationToken).ConfigureAwait(false);
        lock (_held)
        {
            if (!_disposed)
            {
                taken.Owner = this;
                _held.Add(taken);
                return taken;
            }
        }

        taken.Dispose();
        throw new ObjectDisposedException(nameof(WorkspaceLockSet), "The silo is stopping: retry on another silo.");
    }

    internal void Forget(WorkspaceLock released)
    {
        lock (_held) _held.Remove(released);
    }

    public void Dispose()
    {
        List<WorkspaceLock> held;
        lock (_held)
        {
            _disposed = true;
            held = [.. _held];
        }

        foreach (var l in held)
        {
            l.Dispose();
        }
    }
}

/// <summary>Another process holds a workspace's single-writer lock; the request may be retried shortly.</summary>
public sealed class WorkspaceLockedException(string message) : EngineException(EngineError.WorkspaceLocked, message);
