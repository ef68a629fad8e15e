namespace AgentSnapshots.Cli;

/// <summary>What a verb answered: the wire record (printed as JSON with --json) and its text for people.</summary>
internal sealed record VerbOutput(object Result, string Text);
