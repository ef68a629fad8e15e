using AgentSnapshots.Client;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Tests.Cluster;

/// <summary>
/// Wrong or missing TLS settings stop a silo process at start (exit code 2, one critical line naming the setting)
/// before it reaches PostgreSQL, and fail the SDK's start naming its option.
/// </summary>
public sealed class TlsSettingsTests
{
    // Never reached: the settings are checked first.
    private const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=1";

    public static TheoryData<string, string> WrongSettings => new()
    {
        { "no TLS in cluster mode", "Orleans:Tls:CertificateFile, Orleans:Tls:KeyFile and Orleans:Tls:CaFile" },
        { "missing certificate file", "Orleans:Tls:CertificateFile '" },
        { "key file not set", "Orleans:Tls:KeyFile is not set" },
        { "key file holds a certificate", "Orleans:Tls:KeyFile '" },
        { "certificate from another CA", "does not chain to the CA in Orleans:Tls:CaFile" },
        { "CA file not PEM", "Orleans:Tls:CaFile '" },
        { "client certificate on a silo", "does not allow server and client authentication" },
        { "opt-out beside files", "Orleans:Tls:Disabled is true" },
    };

    [Theory]
    [MemberData(nameof(WrongSettings))]
    public async Task Wrong_tls_settings_stop_the_silo_with_exit_code_2_naming_the_setting(string wrong, string named)
    {
        using var temp = new TempDirectory("as-tls-settings");
        var ours = ClusterCertificates.Ours;
        var settings = new Dictionary<string, string>(ours.SiloSettings()) { ["ConnectionStrings__Postgres"] = UnreachablePostgres };
        switch (wrong)
        {
            case "no TLS in cluster mode":
                settings = new() { ["ConnectionStrings__Postgres"] = UnreachablePostgres };
                break;
            case "missing certificate file":
                settings["Orleans__Tls__CertificateFile"] = temp.Combine("absent.pem");
                break;
            case "key file not set":
                settings.Remove("Orleans__Tls__KeyFile");
                break;
            case "key file holds a certificate":
                settings["Orleans__Tls__KeyFile"] = ours.SiloCertificateFile;
                break;
            case "certificate from another CA":
                settings["Orleans__Tls__CertificateFile"] = ClusterCertificates.Foreign.SiloCertificateFile;
                settings["Orleans__Tls__KeyFile"] = ClusterCertificates.Foreign.SiloKeyFile;
                break;
            case "CA file not PEM":
                settings["Orleans__Tls__CaFile"] = temp.Write("ca.pem", "not a certificate\n");
                break;
            case "client certificate on a silo":
                settings["Orleans__Tls__CertificateFile"] = ours.ClientCertificateFile;
                settings["Orleans__Tls__KeyFile"] = ours.ClientKeyFile;
                break;
            case "opt-out beside files":
                settings["Orleans__Tls__Disabled"] = "true";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(wrong), wrong, null);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, settings));

        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_tls_options_fail_the_sdks_start_naming_each_option()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentSnapshots:TlsCertificateFile"] = ClusterCertificates.Ours.ClientCertificateFile,
            ["AgentSnapshots:TlsCaFile"] = "/nonexistent/ca.pem",
        });
        builder.Services.AddAgentSnapshotsClient(builder.Configuration.GetSection("AgentSnapshots"));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.StartsWith("TlsCaFile '/nonexistent/ca.pem' cannot be read", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("TlsKeyFile is not set", StringComparison.Ordinal));
    }
}
