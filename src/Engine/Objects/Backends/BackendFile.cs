namespace AgentSnapshots.Engine.Objects.Backends;

/// <summary>A complete file of an object backend's store: its name and length in bytes.</summary>
public readonly record struct BackendFile(string Name, long Length);
