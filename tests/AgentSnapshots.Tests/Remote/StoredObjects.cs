namespace AgentSnapshots.Tests.Remote;

/// <summary>
/// The loose objects a silo's store holds (name and size on disk), read from its directory: what a transfer left
/// behind. A silo stores an object's bytes exactly as the agent sent them, so the sizes are the bytes on the wire.
/// </summary>
public static class StoredObjects
{
    public static Dictionary<string, long> In(string store)
    {
        var objects = Path.Combine(store, "objects");
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!Directory.Exists(objects)) return found;
        foreach (var dir in Directory.EnumerateDirectories(objects))
        {
            var prefix = Path.GetFileName(dir);
            if (prefix.Length != 2) continue;
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                try
                {
                    found[prefix + Path.GetFileName(file)] = new FileInfo(file).Length;
                }
                catch (FileNotFoundException)
                {
                }
            }
        }
        return found;
    }

    /// <summary>Temporary files a transfer left in the store (none once it has ended, however it ended).</summary>
    public static IEnumerable<string> Temporary(string store) =>
        Directory.Exists(Path.Combine(store, "objects"))
            ? Directory.EnumerateFiles(Path.Combine(store, "objects"), "tmp_obj_*", SearchOption.AllDirectories)
            : [];

    /// <summary>Writes <paramref name="count"/> files of <paramref name="bytes"/> random (incompressible) bytes each.</summary>
    public static void WriteRandomFiles(string directory, string prefix, int count, int bytes, int seed)
    {
        var random = new Random(seed);
        var content = new byte[bytes];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(content);
            File.WriteAllBytes(Path.Combine(directory, $"{prefix}{i:D3}.bin"), content);
        }
    }

    /// <summary>
    /// Polls <paramref name="store"/> until it holds more than <paramref name="before"/> objects while
    /// <paramref name="transfer"/> is still running, then runs <paramref name="kill"/> at once. False if the transfer
    /// ended first (then nothing was killed).
    /// </summary>
    public static async Task<bool> KillMidTransferAsync(string store, int before, Task transfer, Func<Task> kill, int atLeast = 2)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!transfer.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (In(store).Count >= before + atLeast)
            {
                await kill();
                return true;
            }
            await Task.Delay(2);
        }
        return false;
    }
}
