using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>The silo's log as its default settings leave it: the service's own lines, not ASP.NET's for every request.</summary>
public sealed class RequestLoggingTests
{
    [Fact]
    public async Task Requests_leave_no_aspnet_information_lines_and_the_services_own_lines_stay()
    {
        using var temp = new TempDirectory("as-http-log");
        var ws = Directory.CreateDirectory(temp.Combine("ws")).FullName;
        File.WriteAllText(Path.Combine(ws, "f.txt"), "f\n");
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path);
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);

        var hash = (await api.PostAsync("/v1/sessions/s/snapshots", new { dir = ws })).Ok().GetProperty("hash").GetString()!;
        Assert.Equal(1, (await api.GetAsync("/v1/sessions/s/snapshots")).Ok().GetProperty("snapshots").GetArrayLength());
        await api.GetAsync("/v1/no-such-route");

        var lines = silo.Output.Split('\n');
        Assert.DoesNotContain(lines, l => l.Contains("info: Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("info: AgentSnapshots", StringComparison.Ordinal) && l.Contains(hash, StringComparison.Ordinal));
    }
}
