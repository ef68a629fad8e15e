using System.IO.Compression;
using System.Xml.Linq;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> on the SDK, the contract it depends on, and the CLI (from this build, <c>--no-build</c>); then
/// the CLI package installed as a .NET tool from a feed of only these packages, and run by its command name.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly TempDirectory _temp = new("as-pack");

    public void Dispose() => _temp.Dispose();

    private static readonly string Version = typeof(PackageTests).Assembly.GetName().Version!.ToString(3);

    private static async Task<CliRun> Dotnet(params string[] args)
    {
        var run = await ProcessRunner.RunAsync("dotnet", args, BuildOutput.RepositoryRoot,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" }, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"dotnet {string.Join(' ', args)}: {run}");
        return run;
    }

    private static XElement Nuspec(ZipArchive package) =>
        XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).Root!;

    private static IEnumerable<string> Dependencies(XElement nuspec) =>
        nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value);

    [Fact]
    public async Task The_sdk_and_the_cli_pack_and_the_cli_installs_as_the_agentsnapshots_tool()
    {
        var feed = _temp.Combine("feed");
        foreach (var project in new[] { "src/Grains.Interfaces", "src/Client", "src/Cli" })
        {
            await Dotnet("pack", project, "--no-build", "-c", BuildOutput.Configuration, "-o", feed);
        }

        using (var sdk = ZipFile.OpenRead(Path.Combine(feed, $"AgentSnapshots.Client.{Version}.nupkg")))
        {
            var files = sdk.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("lib/net10.0/AgentSnapshots.Client.dll", files);
            Assert.Contains("lib/net10.0/AgentSnapshots.Client.xml", files);
            Assert.Contains("README.md", files);
            var dependencies = Dependencies(Nuspec(sdk)).ToList();
            Assert.Contains("AgentSnapshots.Grains.Interfaces", dependencies);
            Assert.Contains("Microsoft.Orleans.Client", dependencies);
        }
        using (var contract = ZipFile.OpenRead(Path.Combine(feed, $"AgentSnapshots.Grains.Interfaces.{Version}.nupkg")))
        {
            Assert.Contains("lib/net10.0/AgentSnapshots.Grains.Interfaces.dll", contract.Entries.Select(e => e.FullName));
        }
        using (var tool = ZipFile.OpenRead(Path.Combine(feed, $"AgentSnapshots.Cli.{Version}.nupkg")))
        {
            var packageTypes = Nuspec(tool).Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => e.Attribute("name")!.Value);
            Assert.Contains("DotnetTool", packageTypes);
            var settings = XDocument.Load(tool.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
            Assert.Equal("agentsnapshots", settings.Descendants("Command").Single().Attribute("Name")!.Value);
        }

        // Only the local feed, and a packages folder of its own: nothing comes from elsewhere or from an older cache.
        var config = _temp.Write("nuget.config", $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{_temp.Combine("packages")}" /></config>
            </configuration>
            """);
        var tools = _temp.Combine("tools");
        await Dotnet("tool", "install", "AgentSnapshots.Cli", "--version", Version, "--tool-path", tools, "--configfile", config);

        var version = await ProcessRunner.RunAsync(Path.Combine(tools, "agentsnapshots"), ["--version"], _temp.Path);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith(Version, version.Stdout, StringComparison.Ordinal);
        var refused = await ProcessRunner.RunAsync(Path.Combine(tools, "agentsnapshots"), ["frobnicate"], _temp.Path);
        Assert.True(refused.ExitCode == 2, refused.ToString());
    }
}
