namespace AgentSnapshots.Engine.Remote;

/// <summary>What one transfer moved: objects offered, objects and loose-object bytes sent.</summary>
public readonly record struct TransferCount(int Offered, int Objects, long Bytes)
{
    /// <summary>Two transfers' counts together (the rounds of one track).</summary>
    public static TransferCount operator +(TransferCount a, TransferCount b) =>
        new(a.Offered + b.Offered, a.Objects + b.Objects, a.Bytes + b.Bytes);

    /// <summary>The same as <c>+</c>, for languages without operators (CA2225).</summary>
    public static TransferCount Add(TransferCount a, TransferCount b) => a + b;
}
