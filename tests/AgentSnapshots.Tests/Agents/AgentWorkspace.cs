using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Agents;

/// <summary>
/// One agent run's surroundings: a workspace under the silo's root holding the original files, a throwaway HOME, a
/// bin directory whose <c>agentsnapshots</c> is the real CLI of this build (as an installed one would be on the PATH),
/// and a scratch directory. Also reads back and checks what the silo recorded of the run.
/// </summary>
internal sealed class AgentWorkspace : IDisposable
{
    public static readonly (string Path, string Text)[] OriginalFiles = [("README.md", "# demo\n"), ("src/app.txt", "app v1\n")];

    private readonly TempDirectory _temp = new("as-agent");

    public AgentWorkspace(string siloRoot, string name)
    {
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(siloRoot, name)).FullName;
        foreach (var (path, text) in OriginalFiles)
        {
            var full = Path.Combine(Directory, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        Home = System.IO.Directory.CreateDirectory(_temp.Combine("home")).FullName;
        Bin = System.IO.Directory.CreateDirectory(_temp.Combine("bin")).FullName;
        Scratch = System.IO.Directory.CreateDirectory(_temp.Combine("scratch")).FullName;
        var cli = Path.Combine(Bin, "agentsnapshots");
        File.WriteAllText(cli, $"#!/bin/sh\nexec dotnet '{CliProcess.Dll}' \"$@\"\n");
        File.SetUnixFileMode(cli, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Directory { get; }

    public string Home { get; }

    public string Bin { get; }

    public string Scratch { get; }

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    /// <summary>The scripted turn's files as its tool calls leave them (Write then Edit of notes.txt, the Bash command's build.log).</summary>
    public void AssertScriptedTurnWritten()
    {
        Assert.Equal("second note\n", File.ReadAllText(PathOf("notes.txt")));
        Assert.Equal("built\n", File.ReadAllText(PathOf("build.log")));
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>The session's snapshots once every step's stats are computed (they are computed after track answers).</summary>
    public static async Task<JsonElement[]> HistoryAsync(SiloProcess silo, string session)
    {
        using var http = Client(silo);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var history = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/snapshots");
            var snapshots = history.GetProperty("snapshots").EnumerateArray().ToArray();
            if (snapshots.Skip(1).All(s => s.GetProperty("step").ValueKind != JsonValueKind.Null) || DateTime.UtcNow > deadline)
            {
                return snapshots;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Restores the session's workspace to <paramref name="hash"/> through the API.</summary>
    public static async Task RestoreAsync(SiloProcess silo, string session, string hash)
    {
        using var http = Client(silo);
        using var reply = await http.PostAsJsonAsync($"/v1/sessions/{session}/restore", new { to = hash });
        Assert.True(reply.IsSuccessStatusCode, await reply.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// What the contract promises of a scripted turn of three file-changing tool calls: a snapshot when the prompt
    /// came (the original tree), one per tool call with its label and git's tree of the workspace right after it, one
    /// at the turn's end; exactly three steps that changed files (the command changes two); and a restore of the first snapshot gives back the
    /// original files.
    /// </summary>
    public async Task CheckTurnAsync(SiloProcess silo, string session, string[] labels, IReadOnlyDictionary<int, string> trees, string run)
    {
        var snapshots = await HistoryAsync(silo, session);
        Assert.True(labels.SequenceEqual(snapshots.Select(s => s.GetProperty("label").GetString())),
            $"labels: {JsonSerializer.Serialize(snapshots.Select(s => s.GetProperty("label").GetString()))}\n{run}");
        // Turn N of the model saw the workspace after tool call N-1 (N = 0: before any), as git sees it.
        Assert.True(trees.Count == labels.Length - 1, $"the model server saw {trees.Count} turns\n{run}");
        for (var i = 0; i < labels.Length - 1; i++)
        {
            Assert.True(trees[i] == snapshots[i].GetProperty("hash").GetString(), $"snapshot {i} ({labels[i]}) is not git's tree of the workspace at that moment\n{run}");
        }
        Assert.Equal(trees[labels.Length - 2], snapshots[^1].GetProperty("hash").GetString());
        var changed = snapshots.Skip(1).Select(s => s.GetProperty("step").GetProperty("changed").GetInt32()).ToArray();
        Assert.Equal([1, 1, 2, 0], changed);

        await RestoreAsync(silo, session, snapshots[0].GetProperty("hash").GetString()!);
        Assert.Equal(snapshots[0].GetProperty("hash").GetString(), Git.WriteTreeOf(Directory));
        foreach (var (path, text) in OriginalFiles)
        {
            Assert.Equal(text, File.ReadAllText(PathOf(path)));
        }
        Assert.False(File.Exists(PathOf("notes.txt")));
        Assert.False(File.Exists(PathOf("build.log")));
    }

    private static HttpClient Client(SiloProcess silo)
    {
        var http = new HttpClient { BaseAddress = silo.HttpAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", silo.LocalKey);
        return http;
    }
}
