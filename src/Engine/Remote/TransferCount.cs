namespace AgentSnapshots.Engine.Remote;

/// <summary>What one transfer moved: objects offered, objects and loose-object bytes sent.</summary>
public readonly record struct TransferCount(int Offered, int Objects, long Bytes);
