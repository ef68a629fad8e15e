namespace AgentSnapshots;

/// <summary>A tenant's sessions by name, with their last activity.</summary>
public sealed class SessionDirectoryState
{
    public Dictionary<string, DateTimeOffset> Sessions { get; set; } = new(StringComparer.Ordinal);
}
