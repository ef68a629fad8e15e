namespace AgentSnapshots.Engine.Objects;

/// <summary>
/// A token beside the object store that a collection changes when it deleted objects the working tree's index
/// may still name (the index's root tree was not among the live ones). A snapshot that finds the token changed
/// since its state was recorded checks every blob it would reuse and writes every tree again, once.
/// </summary>
internal static class CollectionMarker
{
    private const string FileName = "agentsnapshots.collected";

    public static string Read(ObjectStore store)
    {
        var path = Path.Combine(store.GitDir, FileName);
        // Most stores never had objects collected from under their index: asking costs a stat, where a failed open
        // costs an exception on every track.
        if (!File.Exists(path)) return "";
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return "";
        }
    }

    public static void Change(ObjectStore store)
    {
        var path = Path.Combine(store.GitDir, FileName);
        var tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, Guid.NewGuid().ToString("N"));
        File.Move(tmp, path, overwrite: true);
    }
}
