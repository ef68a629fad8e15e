using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Reports;
using AgentSnapshots.Engine.SystemCalls;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Engine.Watching;

/// <summary>
/// The silo's file watcher: one inotify instance for every workspace (the kernel allows a user few instances),
/// a reader thread that files each event under the workspace whose directory it concerns, and the bound on
/// watches: at most <see cref="WatchOptions.MaxWorkspaces"/> workspaces hold watches at once (the least recently
/// tracked gives them up), and a workspace idle for <see cref="WatchOptions.IdleAfter"/> releases them. A workspace
/// that lost its watches walks in full on its next track and takes them back. Reaching the system's watch limit
/// (<c>fs.inotify.max_user_watches</c>) is not an error: that workspace walks in full and retries later.
/// One per silo (registered in DI); thread-safe.
/// </summary>
public sealed partial class WatchRegistry : IDisposable
{
    private const int EventBufferBytes = 64 * 1024;
    private const int InotifyEventHeaderBytes = 16; // wd (4), mask (4), cookie (4), len (4)
    private static readonly TimeSpan StartRetryAfter = TimeSpan.FromMinutes(1);

    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly int _watchBudget;
    private readonly object _gate = new();
    private readonly object _readGate = new();
    private readonly byte[] _eventBuffer = new byte[EventBufferBytes];
    private readonly Dictionary<int, List<WorkspaceWatch>> _owners = [];
    private readonly LinkedList<WorkspaceWatch> _recent = new();
    private int _inotify = -1;
    private int _wake = -1;
    private Thread? _reader;
    private Timer? _idleTimer;
    private DateTime _startRetryAfterUtc;
    private bool _limitLogged;
    private bool _disposed;

    public WatchRegistry(WatchOptions options, ILogger<WatchRegistry> logger)
        : this(options, logger, int.MaxValue)
    {
    }

    /// <param name="watchBudget">Most watches this registry places (below the system's own limit); tests use it to reach "the limit".</param>
    internal WatchRegistry(WatchOptions options, ILogger logger, int watchBudget)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _watchBudget = watchBudget;
    }

    /// <summary>Whether tracks use the watcher at all (<c>Snapshots:Watch</c>).</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>Workspaces holding watches now.</summary>
    public int WatchedWorkspaces
    {
        get
        {
            lock (_gate) return _recent.Count;
        }
    }

    /// <summary>Directories watched now, across workspaces.</summary>
    public int Watches
    {
        get
        {
            lock (_gate) return _owners.Count;
        }
    }

    /// <summary>Test hook: the watch set of the workspace at <paramref name="root"/> while it holds watches, or null.</summary>
    internal WorkspaceWatch? WatchOf(string root)
    {
        lock (_gate) return _recent.FirstOrDefault(w => w.Root == root);
    }

    /// <summary>A workspace's watch set (holding nothing until its first walk).</summary>
    internal WorkspaceWatch Open(string root) => new(this, root);

    /// <summary>Notes a track of <paramref name="watch"/> now (idle release and eviction go by it).</summary>
    internal void Touch(WorkspaceWatch watch)
    {
        lock (_gate)
        {
            watch.LastUsedUtc = DateTime.UtcNow;
            if (watch.Recent is not null)
            {
                _recent.Remove(watch.Recent);
                _recent.AddLast(watch.Recent);
            }
        }
    }

    /// <summary>Makes <paramref name="watch"/> one of the watched workspaces (evicting the least recently tracked beyond the bound); false with the reason when the watcher cannot be used.</summary>
    internal bool TryHold(WorkspaceWatch watch, out FullWalkReason reason)
    {
        lock (_gate)
        {
            reason = FullWalkReason.WatcherOff;
            if (_disposed || !_options.Enabled || !OperatingSystem.IsLinux()) return false;
            if (!EnsureStarted())
            {
                reason = FullWalkReason.WatchLimit;
                return false;
            }
            watch.LastUsedUtc = DateTime.UtcNow;
            if (watch.Recent is null) watch.Recent = _recent.AddLast(watch);
            else
            {
                _recent.Remove(watch.Recent);
                _recent.AddLast(watch.Recent);
            }
            for (var node = _recent.First; _recent.Count > _options.MaxWorkspaces && node is not null;)
            {
                var next = node.Next;
                if (node.Value != watch && node.Value.TryRelease(FullWalkReason.WatchesReleased, force: false, wd => RemoveLocked(node.Value, wd)))
                {
                    _recent.Remove(node);
                    node.Value.Recent = null;
                    LogReleased(node.Value.Root, "more than Snapshots:Watch:MaxWorkspaces workspaces are watched and it was tracked least recently");
                }
                node = next;
            }
            return true;
        }
    }

    /// <summary>Watches the directory at <paramref name="path"/> for <paramref name="owner"/>; returns its descriptor.</summary>
    /// <exception cref="WatchLimitException">The system's watch limit or this registry's budget is reached.</exception>
    /// <exception cref="IOException">The system refused the watch otherwise (or the watcher was stopped).</exception>
    internal unsafe int AddWatch(WorkspaceWatch owner, string path)
    {
        lock (_gate)
        {
            if (_inotify < 0) throw new IOException("The file watcher is stopped.");
            if (_owners.Count >= _watchBudget) throw LimitReached(owner, "the watch budget");
            var bytes = Encoding.UTF8.GetBytes(path + "\0");
            int wd;
            fixed (byte* p = bytes)
            {
                wd = LinuxCalls.InotifyAddWatch(_inotify, p, (uint)InotifyMask.Watched);
            }
            if (wd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxCalls.ENOSPC) throw LimitReached(owner, "fs.inotify.max_user_watches");
                throw LinuxCalls.Error(errno, $"Cannot watch a directory of {owner.Root}");
            }
            if (!_owners.TryGetValue(wd, out var owners))
            {
                owners = [];
                _owners[wd] = owners;
            }
            if (!owners.Contains(owner)) owners.Add(owner);
            return wd;
        }
    }

    internal void RemoveWatch(WorkspaceWatch owner, int wd)
    {
        lock (_gate) RemoveLocked(owner, wd);
    }

    /// <summary>Releases every watch of <paramref name="watch"/>; <paramref name="force"/> also when a track runs (the track itself asks).</summary>
    internal void Release(WorkspaceWatch watch, FullWalkReason reason, bool force)
    {
        lock (_gate)
        {
            if (watch.TryRelease(reason, force, wd => RemoveLocked(watch, wd)) && watch.Recent?.List == _recent)
            {
                _recent.Remove(watch.Recent);
                watch.Recent = null;
            }
        }
    }

    public void Dispose()
    {
        Thread? reader;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            reader = _reader;
            _idleTimer?.Dispose();
            if (_wake >= 0) Signal(_wake);
        }
        reader?.Join();
        lock (_readGate)
        lock (_gate)
        {
            if (_inotify >= 0) _ = LinuxCalls.Close(_inotify);
            if (_wake >= 0) _ = LinuxCalls.Close(_wake);
            _inotify = _wake = -1;
            _owners.Clear();
            foreach (var watch in _recent) watch.Recent = null;
            _recent.Clear();
        }
    }

    private void RemoveLocked(WorkspaceWatch owner, int wd)
    {
        if (!_owners.TryGetValue(wd, out var owners) || !owners.Remove(owner) || owners.Count > 0) return;
        _owners.Remove(wd);
        if (_inotify >= 0) _ = LinuxCalls.InotifyRmWatch(_inotify, wd);
    }

    private WatchLimitException LimitReached(WorkspaceWatch owner, string limit)
    {
        if (!_limitLogged)
        {
            _limitLogged = true;
            LogLimit(limit, _owners.Count, owner.Root);
        }
        return new WatchLimitException($"{limit} reached at {_owners.Count} watches");
    }

    /// <summary>Starts the inotify instance, its reader thread and the idle timer on first use; false if the system refuses an instance.</summary>
    private bool EnsureStarted()
    {
        if (_inotify >= 0) return true;
        if (DateTime.UtcNow < _startRetryAfterUtc) return false;
        var fd = LinuxCalls.InotifyInit1(LinuxCalls.InotifyCloExec | LinuxCalls.InotifyNonBlock);
        if (fd < 0)
        {
            _startRetryAfterUtc = DateTime.UtcNow + StartRetryAfter;
            LogUnavailable(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return false;
        }
        var wake = LinuxCalls.EventFd(0, LinuxCalls.InotifyCloExec);
        if (wake < 0)
        {
            _ = LinuxCalls.Close(fd);
            _startRetryAfterUtc = DateTime.UtcNow + StartRetryAfter;
            LogUnavailable(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return false;
        }
        _inotify = fd;
        _wake = wake;
        _reader = new Thread(ReadEvents) { IsBackground = true, Name = "AgentSnapshots watcher" };
        _reader.Start();
        var period = TimeSpan.FromTicks(Math.Clamp(_options.IdleAfter.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(30).Ticks));
        _idleTimer = new Timer(_ => ReleaseIdle(), null, period, period);
        return true;
    }

    private void ReleaseIdle()
    {
        lock (_gate)
        {
            var cutoff = DateTime.UtcNow - _options.IdleAfter;
            for (var node = _recent.First; node is not null;)
            {
                var next = node.Next;
                var watch = node.Value;
                if (watch.LastUsedUtc < cutoff && watch.TryRelease(FullWalkReason.WatchesReleased, force: false, wd => RemoveLocked(watch, wd)))
                {
                    _recent.Remove(node);
                    watch.Recent = null;
                    LogReleased(watch.Root, "it was not tracked for Snapshots:Watch:IdleAfter");
                }
                node = next;
            }
        }
    }

    /// <summary>
    /// Files every event queued so far under its workspace. inotify queues an event before the write that raised it
    /// returns, so after this a track sees every change made before it started, whatever the reader thread's pace.
    /// </summary>
    internal void Drain()
    {
        lock (_readGate)
        {
            if (_inotify >= 0) ReadAvailable();
        }
    }

    /// <summary>Stops events being read until the result is disposed (on the same thread): lets tests fill the kernel's queue until it overflows.</summary>
    internal IDisposable HoldEvents()
    {
        Monitor.Enter(_readGate);
        return new Held(_readGate);
    }

    private sealed class Held(object gate) : IDisposable
    {
        public void Dispose() => Monitor.Exit(gate);
    }

    private unsafe void ReadEvents()
    {
        var fds = stackalloc LinuxCalls.PollFd[2];
        fds[0] = new LinuxCalls.PollFd { Fd = _inotify, Events = LinuxCalls.PollIn };
        fds[1] = new LinuxCalls.PollFd { Fd = _wake, Events = LinuxCalls.PollIn };
        while (true)
        {
            fds[0].Revents = fds[1].Revents = 0;
            if (LinuxCalls.Poll(fds, 2, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == LinuxCalls.EINTR) continue;
                return;
            }
            if (fds[1].Revents != 0) return;
            lock (_readGate)
            {
                if (!ReadAvailable()) return;
            }
        }
    }

    /// <summary>Reads and dispatches events until none is queued (the descriptor does not block); false if it failed.</summary>
    private unsafe bool ReadAvailable()
    {
        while (true)
        {
            nint read;
            fixed (byte* start = _eventBuffer)
            {
                read = LinuxCalls.Read(_inotify, start, (nuint)_eventBuffer.Length);
            }
            if (read < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxCalls.EINTR) continue;
                return errno == LinuxCalls.EAGAIN;
            }
            if (read == 0) return false;
            Dispatch(_eventBuffer.AsSpan(0, (int)read));
        }
    }

    private void Dispatch(ReadOnlySpan<byte> events)
    {
        lock (_gate)
        {
            while (events.Length >= InotifyEventHeaderBytes)
            {
                var wd = MemoryMarshal.Read<int>(events);
                var mask = (InotifyMask)MemoryMarshal.Read<uint>(events[4..]);
                var length = MemoryMarshal.Read<int>(events[12..]);
                var rawName = events.Slice(InotifyEventHeaderBytes, length);
                events = events[(InotifyEventHeaderBytes + length)..];
                if ((mask & InotifyMask.QueueOverflow) != 0)
                {
                    foreach (var watch in _recent) watch.Overflowed();
                    continue;
                }
                if (!_owners.TryGetValue(wd, out var owners)) continue;
                var nul = rawName.IndexOf((byte)0);
                if (nul >= 0) rawName = rawName[..nul];
                var unreadable = !rawName.IsEmpty && !Utf8.IsValid(rawName);
                var name = rawName.IsEmpty || unreadable ? null : Encoding.UTF8.GetString(rawName);
                foreach (var owner in owners) owner.Enqueue(wd, mask, name, unreadable);
                if ((mask & InotifyMask.Ignored) != 0)
                {
                    // The kernel dropped the watch (its directory is gone): forget it here too.
                    _owners.Remove(wd);
                }
            }
        }
    }

    private static unsafe void Signal(int eventFd)
    {
        ulong one = 1;
        _ = LinuxCalls.Write(eventFd, (byte*)&one, sizeof(ulong));
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning,
        Message = "File watcher limit reached ({Limit}, at {Watches} watches) while watching {Workspace}: it is walked in full on every track until watches free up. Raise the limit (sysctl fs.inotify.max_user_watches) or lower Snapshots:Watch:MaxWorkspaces")]
    private partial void LogLimit(string limit, int watches, string workspace);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning,
        Message = "The file watcher could not watch a directory of {Workspace} ({Reason}): it is walked in full until it can")]
    internal partial void LogWatchFailed(string workspace, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "The file watcher cannot start ({Reason}; see fs.inotify.max_user_instances): tracks walk in full, and it retries in a minute")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information,
        Message = "Released the file watches of {Workspace}: {Why}; its next track walks in full and takes them back")]
    private partial void LogReleased(string workspace, string why);
}
