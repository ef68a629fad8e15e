using System.Globalization;

namespace AgentSnapshots.Tests.Support;

/// <summary>Damages one object of a store's single pack behind the service's back, as a failing disk would.</summary>
public static class PackDamage
{
    /// <summary>
    /// Flips up to 64 bytes in the middle of the pack entry of <paramref name="objectId"/> (found with
    /// <c>git verify-pack -v</c>: "&lt;id&gt; &lt;type&gt; &lt;size&gt; &lt;size in pack&gt; &lt;offset&gt; ..."), so its
    /// compressed data no longer inflates to what its header says.
    /// </summary>
    public static void FlipBytesOf(string store, string objectId)
    {
        var index = Directory.GetFiles(Path.Combine(store, "objects", "pack"), "*.idx").Single();
        var row = Git.Run(store, "--git-dir", store, "verify-pack", "-v", index).Split('\n')
            .Single(l => l.StartsWith(objectId, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var length = long.Parse(row[3], CultureInfo.InvariantCulture);
        var offset = long.Parse(row[4], CultureInfo.InvariantCulture);
        using var pack = new FileStream(Path.ChangeExtension(index, ".pack"), FileMode.Open, FileAccess.ReadWrite);
        pack.Position = offset + length / 2;
        var bytes = new byte[Math.Min(64, length / 4)];
        pack.ReadExactly(bytes);
        for (var i = 0; i < bytes.Length; i++) bytes[i] ^= 0xa5;
        pack.Position = offset + length / 2;
        pack.Write(bytes);
    }
}
