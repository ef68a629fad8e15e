using System.Net;
using AgentSnapshots.Engine;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// What one tenant can try against another through real HTTP to a real silo process: name its sessions, or lead a
/// first track out of its roots by swapping a directory for a symlink to the other's while the track runs. The
/// session grain resolves the directory once and checks the tenant's roots; nothing of the other tenant comes back.
/// </summary>
public sealed class TenantAttackTests(TenantSiloFixture fixture) : IClassFixture<TenantSiloFixture>, IDisposable
{
    private const string Secret = "tenant-b-secret";

    private readonly ApiClient _a = new(fixture.Silo.HttpAddress, fixture.KeyA);
    private readonly ApiClient _b = new(fixture.Silo.HttpAddress, fixture.KeyB);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task Another_tenants_key_finds_no_such_session()
    {
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, ("a.txt", "a's\n"));
        var hash = (await _a.PostAsync("/v1/sessions/mine/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString();
        var detail = (await _b.GetAsync($"/v1/sessions/mine/diff?from={hash}")).Problem(HttpStatusCode.NotFound, "unknownSession");
        Assert.Contains("'mine'", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(TenantSiloFixture.A, detail, StringComparison.Ordinal);
        Assert.DoesNotContain(ws, detail, StringComparison.Ordinal);
        (await _b.PostAsync("/v1/sessions/mine/restore", new { to = hash })).Problem(HttpStatusCode.NotFound, "unknownSession");
        Assert.Empty((await _b.GetAsync("/v1/sessions/mine/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());
    }

    [Fact]
    public async Task A_directory_swapped_for_a_symlink_into_another_tenants_root_never_binds_a_session_there()
    {
        // A's workspace a/race/ws and B's b/race/ws, file for file the same names; B's hold the secret.
        var (inA, inB) = (Path.Combine(fixture.RootA, "race"), Path.Combine(fixture.RootB, "race"));
        for (var i = 0; i < 20; i++)
        {
            Write(Path.Combine(inA, "ws", $"f{i}.txt"), $"a's file {i}\n");
            Write(Path.Combine(inB, "ws", $"f{i}.txt"), $"{Secret} {i}\n");
        }
        var workspace = WorkspaceIdentity.RealPath(Path.Combine(inA, "ws"))!;
        var expected = Git.WriteTreeOf(workspace);

        var replies = new List<ApiReply>();
        // The real directories rest in place a moment each round, so tracks meet them, the symlinks, and the moments between.
        using var racer = new SymlinkSwapRacer(TimeSpan.FromMilliseconds(2), (inA, inB), (Path.Combine(inA, "ws"), Path.Combine(inB, "ws")));
        try
        {
            // Every track is a first track (a new session); on until the racer has swapped often enough to race them.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            for (var i = 0; i < 150 || (racer.Swaps <= 20 && DateTime.UtcNow < deadline); i++)
            {
                replies.Add(await _a.PostAsync($"/v1/sessions/race-{i}/snapshots", new { dir = workspace }));
            }
        }
        finally
        {
            await racer.StopAsync();
        }
        Assert.True(racer.Swaps > 20, $"only {racer.Swaps} swaps ran during the tracks");

        foreach (var (reply, i) in replies.Select((r, i) => (r, i)))
        {
            Assert.DoesNotContain(Secret, reply.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(inB, reply.Body, StringComparison.Ordinal);
            Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.Forbidden or HttpStatusCode.Conflict or HttpStatusCode.BadRequest, reply.ToString());
            if (reply.Status == HttpStatusCode.OK)
            {
                // What was snapshotted is A's tree, and the session is bound to A's directory.
                Assert.Equal(expected, reply.Json.GetProperty("hash").GetString());
                var history = (await _a.GetAsync($"/v1/sessions/race-{i}/snapshots")).Ok();
                Assert.Equal(workspace, history.GetProperty("workspace").GetString());
            }
            else
            {
                // A refused first track binds nothing.
                var history = (await _a.GetAsync($"/v1/sessions/race-{i}/snapshots")).Ok();
                Assert.Equal(System.Text.Json.JsonValueKind.Null, history.GetProperty("workspace").ValueKind);
            }
        }
        var seen = string.Join(", ", replies.GroupBy(r => (int)r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(replies.Exists(r => r.Status == HttpStatusCode.OK) && replies.Exists(r => r.Status == HttpStatusCode.Forbidden), seen);
        TestContext.Current.SendDiagnosticMessage($"First tracks during the swaps: {seen}; {racer.Swaps} swaps");
        // No object in any workspace's store holds a byte of B's files.
        foreach (var store in Directory.GetDirectories(Path.Combine(fixture.DataDir, "workspaces")))
        {
            var everything = Git.Run(fixture.DataDir, "--git-dir", store, "cat-file", "--batch-all-objects", "--batch");
            Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_session_bound_under_a_root_its_tenant_no_longer_has_touches_nothing_there()
    {
        using var temp = new TempDirectory("as-tenant-roots");
        var key = TenantSiloFixture.NewKey();
        var ws = Directory.CreateDirectory(temp.Combine("old", "ws")).FullName;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");
        var both = new Dictionary<string, string>();
        TenantSiloFixture.AddTenant(both, "t", key, temp.Combine("new"));
        both["Auth__Tenants__t__WorkspaceRoots__1"] = temp.Combine("old");
        string hash;
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, both))
        {
            using var api = new ApiClient(silo.HttpAddress, key);
            hash = (await api.PostAsync("/v1/sessions/moved/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        }
        File.WriteAllText(Path.Combine(ws, "a.txt"), "two\n");
        var files = TreeFingerprint.Of(ws);

        // The operator takes 'old' away from the tenant.
        var onlyNew = new Dictionary<string, string>();
        TenantSiloFixture.AddTenant(onlyNew, "t", key, temp.Combine("new"));
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, onlyNew))
        {
            using var api = new ApiClient(silo.HttpAddress, key);
            var detail = (await api.PostAsync("/v1/sessions/moved/snapshots")).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
            Assert.Contains("Session 'moved'", detail, StringComparison.Ordinal);
            Assert.DoesNotContain("t@moved", detail, StringComparison.Ordinal);
            (await api.GetAsync($"/v1/sessions/moved/changes?since={hash}")).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
            (await api.GetAsync($"/v1/sessions/moved/diff?from={hash}")).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
            (await api.PostAsync("/v1/sessions/moved/restore", new { to = hash })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
            (await api.PostAsync("/v1/sessions/moved/revert", new { to = hash, files = new[] { Path.Combine(ws, "a.txt") } })).Problem(HttpStatusCode.Forbidden, "outsideWorkspaceRoots");
            // Its own records stay readable: history, and a diff between two of its snapshots.
            var history = (await api.GetAsync("/v1/sessions/moved/snapshots")).Ok();
            Assert.Equal(("moved", 1), (history.GetProperty("session").GetString(), history.GetProperty("snapshots").GetArrayLength()));
            (await api.GetAsync($"/v1/sessions/moved/diff?from={hash}&to={hash}")).Ok();
        }
        Assert.Equal(files, TreeFingerprint.Of(ws));
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
