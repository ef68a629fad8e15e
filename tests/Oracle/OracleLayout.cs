namespace AgentSnapshots.Tests.Oracle;

/// <summary>Where the workspace sits relative to a git repository: which ignore sources beyond its own .gitignore files apply.</summary>
public enum OracleLayout
{
    /// <summary>No repository at or above the workspace: only its .gitignore files apply.</summary>
    NoRepository,

    /// <summary>The workspace is a repository's top (<c>work/.git</c>): its <c>.git/info/exclude</c> applies too.</summary>
    RepositoryTop,

    /// <summary>The workspace is a directory inside a repository: the top's .gitignore and <c>.git/info/exclude</c> apply from above.</summary>
    InsideRepository,
}
