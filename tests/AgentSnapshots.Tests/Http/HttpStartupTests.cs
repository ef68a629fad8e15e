using System.Net;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>Who may reach the API, as the silo process decides at start and after a restart.</summary>
public sealed class HttpStartupTests
{
    [Fact]
    public async Task A_keyless_api_on_a_public_address_stops_the_silo_with_exit_code_2()
    {
        using var temp = new TempDirectory("as-http-bind");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path,
            new Dictionary<string, string> { ["Http__Host"] = "0.0.0.0" }));
        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains("Http:Host '0.0.0.0'", line, StringComparison.Ordinal);
        Assert.Contains("Auth:Tenants", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_whose_key_hash_is_not_a_sha256_stops_the_silo_with_exit_code_2()
    {
        using var temp = new TempDirectory("as-http-hash");
        Directory.CreateDirectory(temp.Combine("t"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path,
            new Dictionary<string, string>
            {
                ["Auth__Tenants__t__KeySha256"] = "the-key-itself",
                ["Auth__Tenants__t__WorkspaceRoots__0"] = temp.Combine("t"),
            }));
        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:Tenants:t:KeySha256", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the-key-itself", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_tenants_the_api_listens_on_every_interface()
    {
        using var temp = new TempDirectory("as-http-any");
        var settings = new Dictionary<string, string> { ["Http__Host"] = "0.0.0.0" };
        var key = TenantSiloFixture.NewKey();
        TenantSiloFixture.AddTenant(settings, "t", key, temp.Combine("t"));
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, settings);
        using var api = new ApiClient(silo.HttpAddress, key);
        Assert.Equal(0, (await api.GetAsync("/v1/sessions/s/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
        Assert.Contains($"0.0.0.0:{silo.HttpPort}", silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_of_a_tenant_removed_from_configuration_is_refused_after_a_restart()
    {
        using var temp = new TempDirectory("as-http-restart");
        var (keyA, keyB) = (TenantSiloFixture.NewKey(), TenantSiloFixture.NewKey());
        var ws = Directory.CreateDirectory(temp.Combine("a", "ws")).FullName;
        File.WriteAllText(Path.Combine(ws, "f.txt"), "f\n");
        var both = new Dictionary<string, string>();
        TenantSiloFixture.AddTenant(both, "a", keyA, temp.Combine("a"));
        TenantSiloFixture.AddTenant(both, "b", keyB, temp.Combine("b"));
        string hash;
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, both))
        {
            using var a = new ApiClient(silo.HttpAddress, keyA);
            using var b = new ApiClient(silo.HttpAddress, keyB);
            hash = (await a.PostAsync("/v1/sessions/s/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
            Assert.Equal(0, (await b.GetAsync("/v1/sessions/s/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
        }

        var onlyA = new Dictionary<string, string>();
        TenantSiloFixture.AddTenant(onlyA, "a", keyA, temp.Combine("a"));
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, onlyA))
        {
            using var a = new ApiClient(silo.HttpAddress, keyA);
            using var b = new ApiClient(silo.HttpAddress, keyB);
            (await b.GetAsync("/v1/sessions/s/snapshots")).Problem(HttpStatusCode.Unauthorized, "invalidKey");
            var history = (await a.GetAsync("/v1/sessions/s/snapshots")).Ok();
            Assert.Equal(hash, history.GetProperty("snapshots")[0].GetProperty("hash").GetString());
        }
    }
}
