using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Tests.Service;

/// <summary>The watcher's settings (and the active-workspace bound) as the silo reads them: <c>Snapshots:Watch</c> (or <c>:Enabled</c>) switches it, bad values stop the silo with a clear message.</summary>
public sealed class WatchSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-watch-settings");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("Snapshots:Watch", "false", false)]
    [InlineData("Snapshots:Watch", "true", true)]
    [InlineData("Snapshots:Watch:Enabled", "false", false)]
    [InlineData("Snapshots:Watch:MaxWorkspaces", "5", true)]
    public void Snapshots_Watch_switches_the_silos_watcher(string key, string value, bool enabled)
    {
        using var host = Build(key, value);
        Assert.Equal(enabled, host.Services.GetRequiredService<WatchRegistry>().Enabled);
        Assert.Equal(enabled, host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value.Watch.Enabled);
    }

    [Theory]
    [InlineData("Snapshots:Watch", "sometimes", "Snapshots:Watch is 'sometimes'")]
    [InlineData("Snapshots:Watch:MaxWorkspaces", "0", "Snapshots:Watch")]
    [InlineData("Snapshots:Watch:IdleAfter", "00:00:00", "Snapshots:Watch:IdleAfter")]
    [InlineData("Snapshots:Watch:VerifyEvery", "-1", "Snapshots:Watch")]
    [InlineData("Snapshots:Watch:VerifyAfterIdle", "-00:01:00", "Snapshots:Watch:VerifyAfterIdle")]
    public void A_bad_watch_setting_is_refused_naming_it(string key, string value, string named)
    {
        using var host = Build(key, value);
        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value);
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "Snapshots:MaxActiveWorkspaces is 0")]
    [InlineData("2000000000", "ulimit -n")]
    public void An_active_workspace_bound_the_open_file_limit_cannot_hold_is_refused_naming_it(string value, string named)
    {
        using var host = Build("Snapshots:MaxActiveWorkspaces", value);
        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value);
        Assert.Contains("Snapshots:MaxActiveWorkspaces", refused.Message, StringComparison.Ordinal);
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_active_workspace_bound_defaults_to_half_of_what_the_runtime_leaves_of_the_open_file_limit()
    {
        using var host = Build("Snapshots:Watch", "true");
        var limit = int.Parse(File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Math.Max(16, (limit - 512) / 2), host.Services.GetRequiredService<IOptions<SnapshotsOptions>>().Value.MaxActiveWorkspaces);
    }

    private IHost Build(string key, string value)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Snapshots:DataDir"] = _temp.Combine("data"),
            ["Snapshots:WorkspaceRoots:0"] = _temp.Path,
            [key] = value,
        });
        builder.AddAgentSnapshotsServices();
        return builder.Build();
    }
}
