using System.Collections.Concurrent;
using System.Globalization;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// A silo under a low open-file limit serves more workspaces than it could hold open at once: beyond
/// <c>Snapshots:MaxActiveWorkspaces</c> (by default derived from the limit: 16 here) the least recently used idle ones
/// deactivate and close their lock files, so no call fails and the process does not run out of descriptors.
/// </summary>
public sealed class ActiveWorkspaceBoundTests : IDisposable
{
    // The silo's runtime holds about 330 descriptors before any workspace: 300 lock files would not fit beside them.
    private const int OpenFileLimit = 512;
    private const int DefaultBound = 16;
    private const int Workspaces = 300;
    private const int Parallelism = 8;

    private readonly TempDirectory _temp = new("as-active-bound");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task More_workspaces_than_the_open_file_limit_allows_are_tracked_twice_each_without_a_failed_call()
    {
        var root = _temp.Combine("work");
        var dirs = Enumerable.Range(0, Workspaces).Select(i => Directory.CreateDirectory(Path.Combine(root, $"ws{i:D3}")).FullName).ToList();
        foreach (var dir in dirs)
        {
            File.WriteAllText(Path.Combine(dir, "f.txt"), "first\n");
        }
        await using var silo = await SiloProcess.StartAsync(_temp.Combine("data"), root, root, openFileLimit: OpenFileLimit);
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);
        using var sampling = new CancellationTokenSource();
        var mostLocks = 0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                mostLocks = Math.Max(mostLocks, LockFilesOpen(silo.ProcessId));
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);

        var hashes = new ConcurrentDictionary<int, List<string>>();
        async Task TrackAll(int round)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Workspaces), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
            {
                if (round == 1)
                {
                    await File.WriteAllTextAsync(Path.Combine(dirs[i], "f.txt"), $"second {i}\n", CancellationToken.None);
                }
                var reply = await api.PostAsync($"/v1/sessions/s{i}/snapshots", new { dir = dirs[i] });
                Assert.True(reply.Status == System.Net.HttpStatusCode.OK, $"{reply}\nThe silo's log:\n{silo.Output[^Math.Min(silo.Output.Length, 6000)..]}");
                var hash = reply.Ok().GetProperty("hash").GetString()!;
                hashes.AddOrUpdate(i, _ => [hash], (_, list) => [.. list, hash]);
            });
        }
        await TrackAll(0);
        await TrackAll(1);
        await sampling.CancelAsync();
        await sampler;

        Assert.False(silo.HasExited, silo.Output);
        // A sample reads the process's descriptors one by one, not at one instant: a workspace that closes its lock
        // file after its descriptor was read, while another opens one at a descriptor read later, is counted twice.
        // Each activation running during a sample can add one such count, so the sampled peak may exceed the bound
        // by the calls in flight (CI once sampled 17), never by the 284 an unbounded silo would add.
        Assert.InRange(mostLocks, 1, DefaultBound + Parallelism);
        // With no call running, nothing opens or closes: this count is exact.
        Assert.InRange(LockFilesOpen(silo.ProcessId), 1, DefaultBound);
        Assert.Contains("Snapshots:MaxActiveWorkspaces", silo.Output, StringComparison.Ordinal);
        for (var i = 0; i < Workspaces; i++)
        {
            var history = (await api.GetAsync($"/v1/sessions/s{i}/snapshots")).Ok().GetProperty("snapshots");
            var recorded = history.EnumerateArray().Select(s => s.GetProperty("hash").GetString()!).ToList();
            Assert.Equal(hashes[i], recorded);
            Assert.Equal(2, recorded.Distinct().Count());
        }
    }

    /// <summary>The workspace lock files the process holds open now (each active workspace holds one).</summary>
    private static int LockFilesOpen(int processId)
    {
        var count = 0;
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries(string.Create(CultureInfo.InvariantCulture, $"/proc/{processId}/fd")))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget?.EndsWith("agentsnapshots.lock", StringComparison.Ordinal) == true) count++;
                }
                catch (IOException)
                {
                    // Closed while we looked.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        return count;
    }
}
