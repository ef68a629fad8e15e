using System.Text.Json;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// The official C# MCP client against a real silo with two tenants: over streamable HTTP at <c>/mcp</c>, and over
/// stdio through the real CLI (<c>agentsnapshots mcp</c>, which relays to the same endpoint). Every tool is listed and
/// called; a wrong key is refused; another tenant's session reveals nothing and is left alone.
/// </summary>
public sealed class McpToolsTests(TenantSiloFixture fixture) : IClassFixture<TenantSiloFixture>
{
    private static readonly string[] ToolNames = ["changes", "diff", "history", "restore", "revert", "snapshot"];

    public static TheoryData<string> Transports => ["http", "stdio"];

    private async Task<McpClient> ConnectAsync(string transport, string key)
    {
        IClientTransport client = transport == "http"
            ? new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(fixture.Silo.HttpAddress, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key },
            })
            : new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = "dotnet",
                Arguments = [CliProcess.Dll, "--server", fixture.Silo.CliServer, "mcp"],
                WorkingDirectory = fixture.Root,
                EnvironmentVariables = new Dictionary<string, string?> { ["AGENTSNAPSHOTS_KEY"] = key, ["XDG_CONFIG_HOME"] = CliProcess.NoConfigHome },
            });
        return await McpClient.CreateAsync(client, cancellationToken: TestContext.Current.CancellationToken);
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.IsError != true, $"{tool} failed: {Text(result)}");
        return JsonDocument.Parse(Text(result)).RootElement.Clone();
    }

    private static async Task<string> FailAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.IsError, $"{tool} should have failed: {Text(result)}");
        return Text(result);
    }

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Every_tool_is_listed_with_a_description_and_works_on_the_callers_session(string transport)
    {
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, ("a.txt", "one\n"), ("src/b.txt", "bee\n"));
        var session = "mcp-" + transport;
        await using var client = await ConnectAsync(transport, fixture.KeyA);

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ToolNames, tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tools, t => Assert.True(t.Description.Length > 80, $"{t.Name}'s description is too thin for a model: {t.Description}"));
        Assert.All(tools, t => Assert.Contains("session", t.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString())));

        var first = (await CallAsync(client, "snapshot", new() { ["session"] = session, ["dir"] = ws, ["label"] = "before" })).GetProperty("hash").GetString()!;
        Assert.Equal(Git.WriteTreeOf(ws), first);
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\ntwo\n");
        File.Delete(Path.Combine(ws, "src/b.txt"));
        File.WriteAllText(Path.Combine(ws, "c.txt"), "new\n");

        var changes = await CallAsync(client, "changes", new() { ["session"] = session, ["since"] = first });
        Assert.Equal(3, changes.GetProperty("fileCount").GetInt32());

        var diff = await CallAsync(client, "diff", new() { ["session"] = session, ["from"] = first });
        var a = diff.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("file").GetString() == "a.txt");
        Assert.Equal(1, a.GetProperty("additions").GetInt32());

        var second = (await CallAsync(client, "snapshot", new() { ["session"] = session, ["label"] = "after" })).GetProperty("hash").GetString()!;
        var history = await CallAsync(client, "history", new() { ["session"] = session });
        Assert.Equal(["before", "after"], history.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("label").GetString()));
        var between = await CallAsync(client, "diff", new() { ["session"] = session, ["from"] = first, ["to"] = second });
        Assert.Equal(3, between.GetProperty("files").GetArrayLength());

        var reverted = await CallAsync(client, "revert", new() { ["session"] = session, ["to"] = first, ["files"] = (string[])["src"] });
        Assert.Equal("bee\n", File.ReadAllText(Path.Combine(ws, "src/b.txt")));
        Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        Assert.Matches("^[0-9a-f]{40}$", reverted.GetProperty("safety").GetString());

        var restored = await CallAsync(client, "restore", new() { ["session"] = session, ["to"] = first });
        Assert.Equal(first, Git.WriteTreeOf(ws));
        Assert.False(File.Exists(Path.Combine(ws, "c.txt")));
        // The safety snapshot undoes the restore.
        await CallAsync(client, "restore", new() { ["session"] = session, ["to"] = restored.GetProperty("safety").GetString() });
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(ws, "c.txt")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Bad_arguments_are_tool_errors_with_the_APIs_code_and_change_nothing(string transport)
    {
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, ("a.txt", "one\n"));
        var session = "mcp-bad-" + transport;
        await using var client = await ConnectAsync(transport, fixture.KeyA);
        var hash = (await CallAsync(client, "snapshot", new() { ["session"] = session, ["dir"] = ws })).GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "changed\n");

        Assert.Contains("(malformedId)", await FailAsync(client, "diff", new() { ["session"] = session, ["from"] = "HEAD~1" }), StringComparison.Ordinal);
        Assert.Contains("(malformedId)", await FailAsync(client, "history", new() { ["session"] = "no spaces allowed" }), StringComparison.Ordinal);
        Assert.Contains("(invalidPath)", await FailAsync(client, "revert", new() { ["session"] = session, ["to"] = hash, ["files"] = (string[])["../etc/passwd"] }), StringComparison.Ordinal);
        Assert.EndsWith($"(unknownSnapshot): 'to' {new string('a', 40)} is not a snapshot of session '{session}'. Call 'history' to list the snapshots it keeps.",
            await FailAsync(client, "restore", new() { ["session"] = session, ["to"] = new string('a', 40) }), StringComparison.Ordinal);
        Assert.EndsWith($"(unknownSession): Session '{session}-never' has no snapshots yet, and diff needs one. Call 'snapshot' with 'dir' (the workspace directory) first.",
            await FailAsync(client, "diff", new() { ["session"] = session + "-never", ["from"] = hash }), StringComparison.Ordinal);
        Assert.Contains("(outsideWorkspaceRoots)", await FailAsync(client, "snapshot", new() { ["session"] = "mcp-elsewhere-" + transport, ["dir"] = fixture.RootB }), StringComparison.Ordinal);
        Assert.Equal("changed\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
    }

    /// <summary>The API's summary caps (Snapshots:Summary:MaxSummaryBytes and MaxFiles, defaults).</summary>
    private const int MaxSummaryBytes = 64 * 1024, MaxSummaryFiles = 200;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_large_change_gives_tool_results_as_small_as_the_APIs_caps_with_exact_totals(string transport)
    {
        const int Files = 300, Lines = 200, Listed = HttpSiloFixture.MaxListedPaths;
        string Source(int version) => string.Concat(Enumerable.Range(0, Lines).Select(n => $"version {version} of line {n} of a generated source file\n"));
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, [.. Enumerable.Range(0, Files).Select(i => ($"src/f{i:D4}.txt", Source(1)))]);
        var session = "mcp-large-" + transport;
        await using var client = await ConnectAsync(transport, fixture.KeyA);
        var first = (await CallAsync(client, "snapshot", new() { ["session"] = session, ["dir"] = ws })).GetProperty("hash").GetString()!;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ws, "src")))
        {
            File.WriteAllText(file, Source(2));
        }

        var diff = await client.CallToolAsync("diff", new Dictionary<string, object?> { ["session"] = session, ["from"] = first }, cancellationToken: TestContext.Current.CancellationToken);
        var diffText = Text(diff);
        Assert.True(diffText.Length <= MaxSummaryBytes, $"the diff tool's result is {diffText.Length} characters");
        var summary = JsonDocument.Parse(diffText).RootElement;
        Assert.Equal(Files, summary.GetProperty("fileCount").GetInt32());
        Assert.InRange(summary.GetProperty("files").GetArrayLength(), 1, MaxSummaryFiles);
        Assert.Equal(Files - summary.GetProperty("files").GetArrayLength(), summary.GetProperty("omittedFiles").GetInt32());
        // The totals still count every file.
        Assert.Equal(Files * Lines, summary.GetProperty("additions").GetInt32());
        Assert.Equal(Files * Lines, summary.GetProperty("deletions").GetInt32());

        var changes = await CallAsync(client, "changes", new() { ["session"] = session, ["since"] = first });
        Assert.Equal(Files, changes.GetProperty("fileCount").GetInt32());
        Assert.Equal(["src/f0000.txt", "src/f0001.txt", "src/f0002.txt"], changes.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(Files - Listed, changes.GetProperty("omittedFiles").GetInt32());
        var next = await CallAsync(client, "changes", new() { ["session"] = session, ["since"] = first, ["after"] = "src/f0002.txt" });
        Assert.Equal(["src/f0003.txt", "src/f0004.txt", "src/f0005.txt"], next.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_wrong_key_is_refused(string transport)
    {
        var refusal = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(transport, "not-a-key-of-anyone"));
        // Over HTTP the client sees the 401; through the CLI, the relay's JSON-RPC error names the refusal.
        Assert.Contains(transport == "http" ? "401" : "invalidKey", refusal.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Another_tenants_session_reveals_nothing_and_is_left_alone(string transport)
    {
        var ws = fixture.NewWorkspaceUnder(fixture.RootA, ("a.txt", "mine\n"));
        var session = "mcp-shared-" + transport;
        await using var a = await ConnectAsync(transport, fixture.KeyA);
        var hash = (await CallAsync(a, "snapshot", new() { ["session"] = session, ["dir"] = ws, ["label"] = "secret label" })).GetProperty("hash").GetString()!;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "edited\n");

        await using var b = await ConnectAsync(transport, fixture.KeyB);
        var history = await CallAsync(b, "history", new() { ["session"] = session });
        Assert.Empty(history.GetProperty("snapshots").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, history.GetProperty("workspace").ValueKind);
        var never = "mcp-never-" + transport;
        foreach (var (tool, arguments) in new (string, Func<string, Dictionary<string, object?>>)[]
        {
            ("diff", s => new() { ["session"] = s, ["from"] = hash }),
            ("changes", s => new() { ["session"] = s, ["since"] = hash }),
            ("restore", s => new() { ["session"] = s, ["to"] = hash }),
            ("revert", s => new() { ["session"] = s, ["to"] = hash, ["files"] = (string[])["a.txt"] }),
        })
        {
            var refused = await FailAsync(b, tool, arguments(session));
            // Word for word what a session never tracked answers: nothing tells that A's exists.
            Assert.Equal(await FailAsync(b, tool, arguments(never)), refused.Replace(session, never, StringComparison.Ordinal));
            Assert.DoesNotContain(ws, refused, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", refused, StringComparison.Ordinal);
        }
        Assert.Equal("edited\n", File.ReadAllText(Path.Combine(ws, "a.txt")));
        Assert.Single((await CallAsync(a, "history", new() { ["session"] = session })).GetProperty("snapshots").EnumerateArray());
    }
}
