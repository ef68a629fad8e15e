namespace AgentSnapshots.Tests.Processes;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
