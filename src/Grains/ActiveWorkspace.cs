namespace AgentSnapshots;

/// <summary>
/// One workspace's place in <see cref="ActiveWorkspaces"/>, from its activation to its deactivation. Its busy count
/// and its node are guarded by the set's gate.
/// </summary>
public sealed class ActiveWorkspace : IDisposable
{
    private readonly ActiveWorkspaces _owner;
    private readonly Action _deactivate;

    internal ActiveWorkspace(ActiveWorkspaces owner, string key, Action deactivate)
    {
        _owner = owner;
        _deactivate = deactivate;
        Key = key;
    }

    /// <summary>The workspace's id.</summary>
    public string Key { get; }

    internal LinkedListNode<ActiveWorkspace>? Node { get; set; }

    /// <summary>Calls running on the workspace now.</summary>
    internal int Busy { get; set; }

    /// <summary>Already asked to deactivate (it is not asked twice).</summary>
    internal bool Asked { get; set; }

    /// <summary>A call to the workspace starts; until <see cref="End"/> it is not asked to deactivate.</summary>
    public void Begin() => _owner.Begin(this);

    public void End() => _owner.End(this);

    internal void Deactivate() => _deactivate();

    /// <summary>The workspace closed (its lock file too): its place goes to a waiting activation.</summary>
    public void Dispose() => _owner.Leave(this);
}
