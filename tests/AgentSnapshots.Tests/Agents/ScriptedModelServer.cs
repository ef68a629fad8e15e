using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// The scripted model server of the agent tests (tests/agents/scripted-model-server.mjs, run by node): it answers an
/// agent's model requests with a fixed script of tool calls and records git's tree of the workspace each time it hands
/// out the next turn, i.e. after the previous tool call and its hooks finished.
/// </summary>
internal sealed class ScriptedModelServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _record;

    private ScriptedModelServer(Process process, int port, string record)
    {
        _process = process;
        Port = port;
        _record = record;
    }

    public int Port { get; }

    /// <param name="workspace">The agent's workspace, whose tree is recorded at each turn.</param>
    /// <param name="steps">The tool calls, in order: the tool's name and its input as the agent's API takes it.</param>
    /// <param name="scratch">Where the script and the record are written.</param>
    public static async Task<ScriptedModelServer> StartAsync(string workspace, IReadOnlyList<(string Tool, object Input)> steps, string scratch)
    {
        var script = Path.Combine(scratch, "script.json");
        var record = Path.Combine(scratch, "record.jsonl");
        await File.WriteAllTextAsync(script, JsonSerializer.Serialize(new
        {
            steps = steps.Select(s => new { tool = s.Tool, input = s.Input }),
            finish = "All done.",
        }));
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = scratch,
        };
        foreach (var arg in new[] { AgentPackages.File("scripted-model-server.mjs"), "--script", script, "--workspace", workspace, "--record", record })
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi)!;
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (first is null || !first.StartsWith("listening ", StringComparison.Ordinal))
        {
            var error = await process.StandardError.ReadToEndAsync();
            throw new InvalidOperationException($"The scripted model server did not start: {first} {error}");
        }
        return new ScriptedModelServer(process, int.Parse(first["listening ".Length..], CultureInfo.InvariantCulture), record);
    }

    /// <summary>The workspace's tree when the agent had sent back N tool results (the last record of each N).</summary>
    public IReadOnlyDictionary<int, string> TreesByResults()
    {
        var trees = new Dictionary<int, string>();
        foreach (var line in File.Exists(_record) ? File.ReadAllLines(_record) : [])
        {
            var entry = JsonDocument.Parse(line).RootElement;
            trees[entry.GetProperty("results").GetInt32()] = entry.GetProperty("tree").GetString()!;
        }
        return trees;
    }

    /// <summary>The requests it served (method and path, one a line), for failure messages.</summary>
    public string Requests => File.Exists(_record + ".requests") ? File.ReadAllText(_record + ".requests") : "(none)";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
