namespace AgentSnapshots.Cli;

/// <summary>Whether output may carry colour: only to a terminal, and never when NO_COLOR is set (no-color.org) or TERM=dumb.</summary>
internal static class Terminal
{
    public static bool ColoursStandardOutput =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";
}
