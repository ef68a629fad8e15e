using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Cli.Agent;

/// <summary>The workspace agent's log: one line per event on stderr, with the time and level (no logging framework in a native executable this small).</summary>
internal sealed class StderrLogger<T>(TextWriter stderr, LogLevel minimum) : ILogger<T>
{
    private static readonly object s_lock = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{DateTime.UtcNow:HH:mm:ss.fff} agentsnapshots agent: {Level(logLevel)} {formatter(state, exception)}";
        lock (s_lock)
        {
            stderr.WriteLine(line);
            stderr.Flush();
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug:",
        LogLevel.Information => "info:",
        LogLevel.Warning => "warning:",
        _ => "error:",
    };
}
