using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Tests.Support;

/// <summary>A logger that keeps every entry (event name and formatted message), to check what the service says and how often.</summary>
public sealed class RecordingLogger : ILogger
{
    private readonly List<(string Event, string Message)> _entries = [];

    public IReadOnlyList<(string Event, string Message)> Entries
    {
        get
        {
            lock (_entries) return [.. _entries];
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((eventId.Name ?? "", formatter(state, exception)));
    }
}
