using System.Net;
using System.Text.Json;
using AgentSnapshots.Tests.Cluster;
using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Support;
using Npgsql;

namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>
/// A cluster with no shared volume (<c>Snapshots:ObjectStore</c> = postgres): real silo processes, each with a
/// <c>DataDir</c> of its own, one PostgreSQL database, the real CLI. A silo SIGKILLed and its <c>DataDir</c> deleted
/// loses nothing: every snapshot still diffs and restores through the other. The object tables failing during a track
/// answer 503 (code backendUnavailable), record nothing, and the next track works.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class NoSharedVolumeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private SiloProcess[] _servers = [];

    [Fact]
    public async Task A_silo_killed_with_its_data_dir_deleted_loses_no_snapshot()
    {
        using var temp = new TempDirectory("as-noshare");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var settings = Settings();
        var dataDirs = new[] { temp.Combine("data-1"), temp.Combine("data-2") };
        await using var first = await SiloProcess.StartAsync(dataDirs[0], root, root, settings);
        await using var second = await SiloProcess.StartAsync(dataDirs[1], root, root, settings);
        _servers = [first, second];
        try
        {
            // Four sessions, three snapshots each: step s of session i writes lines tagged s.
            const int sessions = 4, steps = 3;
            var hashes = new List<string>[sessions];
            for (var i = 0; i < sessions; i++)
            {
                var workspace = Directory.CreateDirectory(Path.Combine(root, $"ws{i}")).FullName;
                hashes[i] = [];
                for (var step = 0; step < steps; step++)
                {
                    WriteStep(workspace, i, step);
                    hashes[i].Add(Hash(await Cli(root, "track", "--session", $"s{i}", "--dir", workspace, "--json")));
                }
            }

            // The silo that holds workspaces dies, and its disk with it.
            var victim = first.Output.Contains("opened for", StringComparison.Ordinal) ? first : second;
            var survivor = victim == first ? second : first;
            await victim.KillAsync();
            Directory.Delete(dataDirs[victim == first ? 0 : 1], recursive: true);
            _servers = [survivor];

            for (var i = 0; i < sessions; i++)
            {
                var workspace = Path.Combine(root, $"ws{i}");
                var history = JsonDocument.Parse((await Cli(root, "history", "--session", $"s{i}", "--json")).Stdout).RootElement
                    .GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()!).ToList();
                Assert.Equal(hashes[i], history);
                // Each step rewrote the 500 lines of data.txt and replaced its note by a new one: the first against the last.
                var diff = JsonDocument.Parse((await Cli(root, "diff", "--session", $"s{i}", "--from", hashes[i][0], "--to", hashes[i][^1], "--json")).Stdout).RootElement;
                Assert.Equal(3, diff.GetProperty("fileCount").GetInt32());
                Assert.Equal(500 + 1, diff.GetProperty("additions").GetInt64());
                Assert.Equal(500 + 1, diff.GetProperty("deletions").GetInt64());

                // Restoring the first snapshot brings its files back, read from the backend through the survivor.
                await Cli(root, "restore", "--session", $"s{i}", "--to", hashes[i][0], "--json");
                Assert.Equal(StepText(i, 0), File.ReadAllText(Path.Combine(workspace, "data.txt")));
                Assert.Equal(["data.txt", "note-0.txt"], Directory.GetFiles(workspace).Select(Path.GetFileName).Order());
                Assert.Equal(hashes[i][0], Git.WriteTreeOf(workspace));
            }
            Assert.False(survivor.HasExited);
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage("silo 1:\n" + first.Output + "\nsilo 2:\n" + second.Output);
            throw;
        }
    }

    [Fact]
    public async Task The_object_store_failing_during_a_track_answers_503_records_nothing_and_the_next_track_works()
    {
        using var temp = new TempDirectory("as-noshare-503");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var workspace = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), root, root, Settings());
        _servers = [silo];
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);
        WriteStep(workspace, 0, 0);
        var kept = (await api.PostAsync("/v1/sessions/down/snapshots", new { dir = workspace })).Ok().GetProperty("hash").GetString()!;

        // The object tables out of reach (as a revoked grant or a lost table space would be), the rest of the database up.
        WriteStep(workspace, 0, 1);
        await SqlAsync("ALTER TABLE snapshots_object_file RENAME TO snapshots_object_file_away");
        try
        {
            var failed = await api.PostAsync("/v1/sessions/down/snapshots", new { dir = workspace });
            var detail = failed.Problem(HttpStatusCode.ServiceUnavailable, "backendUnavailable");
            Assert.Contains("postgres object store", detail, StringComparison.Ordinal);
            Assert.Contains("Nothing was recorded", detail, StringComparison.Ordinal);
        }
        finally
        {
            await SqlAsync("ALTER TABLE snapshots_object_file_away RENAME TO snapshots_object_file");
        }
        var history = (await api.GetAsync("/v1/sessions/down/snapshots")).Ok().GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("hash").GetString()!).ToList();
        Assert.Equal([kept], history);

        // The next track stores what the failed one could not, and is recorded.
        var next = (await api.PostAsync("/v1/sessions/down/snapshots", new { dir = workspace })).Ok().GetProperty("hash").GetString();
        Assert.Equal(Git.WriteTreeOf(workspace), next);
        var diff = (await api.GetAsync($"/v1/sessions/down/diff?from={kept}&to={next}")).Ok();
        Assert.Equal(500 + 1, diff.GetProperty("additions").GetInt64());
    }

    [Fact]
    public async Task A_remote_workspaces_objects_in_the_backend_are_not_asked_of_its_agent_again_on_a_cold_silo()
    {
        using var temp = new TempDirectory("as-noshare-remote");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        // The agent's files lie where no silo's workspace roots reach.
        var sandbox = Directory.CreateDirectory(temp.Combine("sandbox")).FullName;
        for (var i = 0; i < 20; i++)
        {
            File.WriteAllText(Path.Combine(sandbox, $"f{i}.txt"), $"file {i}\n");
        }
        const string workspace = "remote-cold";
        var settings = Settings();
        string first;
        await using (var warm = await SiloProcess.StartAsync(temp.Combine("data-1"), root, root, settings))
        {
            _servers = [warm];
            await using var agent = await AgentProcess.StartAsync(warm, workspace, sandbox, temp.Combine("agent-cache-1"));
            using var api = new ApiClient(warm.HttpAddress, warm.LocalKey);
            first = (await api.PostAsync($"/v1/sessions/{workspace}/snapshots", new { workspace })).Ok().GetProperty("hash").GetString()!;
            Assert.True(agent.SentObjects > 20, agent.Log);
        }
        Directory.Delete(temp.Combine("data-1"), recursive: true);

        // A silo with an empty DataDir, and an agent that remembers nothing: the backend has every object already.
        await using var cold = await SiloProcess.StartAsync(temp.Combine("data-2"), root, root, settings);
        _servers = [cold];
        await using var fresh = await AgentProcess.StartAsync(cold, workspace, sandbox, temp.Combine("agent-cache-2"));
        using var coldApi = new ApiClient(cold.HttpAddress, cold.LocalKey);
        var again = (await coldApi.PostAsync($"/v1/sessions/{workspace}/snapshots", new { workspace })).Ok().GetProperty("hash").GetString()!;
        Assert.Equal(first, again);
        Assert.Equal(Git.WriteTreeOf(sandbox), again);
        Assert.True(fresh.SentObjects == 0, $"the agent sent {fresh.SentObjects} objects ({fresh.SentBytes} bytes) the backend held already:\n{fresh.Log}");
    }

    private Dictionary<string, string> Settings() => new(ProcessFailoverTests.FastDetection)
    {
        ["ConnectionStrings__Postgres"] = database.ConnectionString,
        ["Snapshots__ObjectStore"] = "postgres",
        ["Auth__LocalKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Orleans__Tls__Disabled"] = "true",
    };

    private static void WriteStep(string workspace, int session, int step)
    {
        File.WriteAllText(Path.Combine(workspace, "data.txt"), StepText(session, step));
        File.WriteAllText(Path.Combine(workspace, $"note-{step}.txt"), $"note {step}\n");
        if (step > 0) File.Delete(Path.Combine(workspace, $"note-{step - 1}.txt"));
    }

    private static string StepText(int session, int step) =>
        string.Concat(Enumerable.Range(0, 500).Select(n => $"session {session} step {step} line {n}\n"));

    private async Task SqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private async Task<CliRun> Cli(string cwd, params string[] args)
    {
        var run = await CliProcess.RunAsync(["--server", string.Join(',', _servers.Select(s => s.CliServer)), .. args], cwd, _servers[0].CliEnvironment);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    private static string Hash(CliRun run) => JsonDocument.Parse(run.Stdout).RootElement.GetProperty("hash").GetString()!;
}
