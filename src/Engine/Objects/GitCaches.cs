namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// Git's caches that list objects or packs: the commit-graph (commits, with their parents) and the multi-pack-index
/// and <c>info/packs</c> (packs). Once a listed commit is unreachable or a listed pack is gone they are stale, and
/// <c>git fsck</c> reports the store broken (a later <c>git repack -ad</c> deletes unreachable commits and leaves the
/// commit-graph naming them). They are only caches: removing them is safe, and git writes them again at its next gc.
/// </summary>
internal static class GitCaches
{
    /// <summary>Removes the commit-graph files: for when commits the graph may list stop being reachable or are deleted.</summary>
    public static void RemoveCommitGraphs(string objectsDirectory)
    {
        var info = Path.Combine(objectsDirectory, "info");
        TryDelete(Path.Combine(info, "commit-graph"));
        var chain = Path.Combine(info, "commit-graphs");
        if (Directory.Exists(chain))
        {
            try
            {
                Directory.Delete(chain, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Removes the caches that list packs: for when packs were deleted.</summary>
    public static void RemovePackLists(string objectsDirectory)
    {
        TryDelete(Path.Combine(objectsDirectory, "info", "packs"));
        TryDelete(Path.Combine(objectsDirectory, "pack", "multi-pack-index"));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
