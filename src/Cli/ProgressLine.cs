using System.Diagnostics;

namespace AgentSnapshots.Cli;

/// <summary>A progress line on a terminal for work that takes more than a moment; erased when done.</summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly TextWriter _writer;
    private readonly string _text;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Timer? _timer;
    private bool _shown;
    private bool _disposed;

    private ProgressLine(TextWriter writer, string text, bool enabled)
    {
        _writer = writer;
        _text = text;
        if (enabled)
        {
            _timer = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    public static ProgressLine Start(TextWriter writer, string text, bool enabled) => new(writer, text, enabled);

    private void Tick()
    {
        lock (_writer)
        {
            if (_disposed)
            {
                return;
            }
            _shown = true;
            _writer.Write($"\r{_text}... {_watch.Elapsed.TotalSeconds:0}s ");
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_writer)
        {
            if (!_disposed && _shown)
            {
                _writer.Write("\r" + new string(' ', _text.Length + 16) + "\r");
                _writer.Flush();
            }
            _disposed = true;
        }
    }
}
