namespace AgentSnapshots.Tests.Oracle;

/// <summary>The kinds of step the generator makes; a run can leave some out (to look past a known miss).</summary>
public enum OperationKind
{
    Create,
    Modify,

    /// <summary>A same-size edit with the mtime set back.</summary>
    KeepTime,

    /// <summary>An mtime set to a round time in the past.</summary>
    SetTime,
    Delete,
    Move,

    /// <summary>A directory replaced by a file, or a file by a directory.</summary>
    Replace,
    Chmod,
    Symlink,
    /// <summary>A .gitignore below the workspace's root.</summary>
    Gitignore,

    /// <summary>The workspace root's .gitignore, or one above it (the enclosing repository's).</summary>
    RootGitignore,
    Exclude,

    /// <summary>A hard link to an existing file, inside the workspace or outside it (beside it), or a write through an outside one.</summary>
    Link,

    /// <summary>A track while a thread edits.</summary>
    Concurrent,
    Restart,
}

/// <summary>How a seed runs: steps, paths, reductions, and the operation kinds left out.</summary>
public sealed record OracleSettings(int Steps, IReadOnlyList<OraclePath> Paths)
{
    /// <summary>Mismatches reduced per path (the first ones).</summary>
    public int Reduce { get; init; } = 1;

    /// <summary>Time for each reduction (null: the reducer's default).</summary>
    public TimeSpan? ReduceBudget { get; init; }

    /// <summary>The layout (null: the seed picks one).</summary>
    public OracleLayout? Layout { get; init; }

    public IReadOnlySet<OperationKind> Without { get; init; } = new HashSet<OperationKind>();
}
