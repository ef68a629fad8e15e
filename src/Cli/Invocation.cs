namespace AgentSnapshots.Cli;

/// <summary>What every verb needs besides its own arguments.</summary>
internal sealed record Invocation(string Session, bool Json, IReadOnlyList<Uri> Servers, string? KeyFile, bool Verbose);
