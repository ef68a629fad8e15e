namespace AgentSnapshots.Engine.Watching;

/// <summary>The system's inotify watch limit (or the registry's own budget) was reached.</summary>
internal sealed class WatchLimitException(string message) : Exception(message);
