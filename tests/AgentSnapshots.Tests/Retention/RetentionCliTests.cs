using System.Text.Json;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Retention;

/// <summary>The usage, gc and delete verbs through the real CLI against the real silo process (default settings).</summary>
public sealed class RetentionCliTests
{
    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public async Task Usage_gc_and_delete_report_the_store_and_release_a_session()
    {
        using var temp = new TempDirectory("as-e2e-ret");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var ws = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        File.WriteAllText(Path.Combine(ws, "a.txt"), "one\n");

        await using var silo = await SiloProcess.StartAsync(temp.Combine("data"), root, root);
        try
        {
            var h1 = Json(await silo.RunCliAsync("track", "--session", "keep", "--dir", "ws", "--json")).GetProperty("hash").GetString()!;
            File.WriteAllText(Path.Combine(ws, "b.txt"), new string('b', 5000) + "\n");
            Json(await silo.RunCliAsync("track", "--session", "gone", "--dir", "ws", "--json"));

            var usage = Json(await silo.RunCliAsync("usage", "--session", "keep", "--json"));
            Assert.Equal(["workspace", "directory", "objects", "bytes", "snapshots", "sessions"], Keys(usage));
            Assert.StartsWith("ws-", usage.GetProperty("workspace").GetString(), StringComparison.Ordinal);
            Assert.Equal(ws, usage.GetProperty("directory").GetString());
            // Two blobs, two trees, and the two commits of the ref that keeps the snapshots reachable.
            Assert.Equal((6, 2, 2), (usage.GetProperty("objects").GetInt32(), usage.GetProperty("snapshots").GetInt32(), usage.GetProperty("sessions").GetInt32()));
            Assert.True(usage.GetProperty("bytes").GetInt64() > 0);

            var people = await silo.RunCliAsync("usage", "--session", "keep");
            Assert.True(people.ExitCode == 0, people.ToString());
            Assert.Contains("6 objects", people.Stdout, StringComparison.Ordinal);
            Assert.Contains(" B in ", people.Stdout, StringComparison.Ordinal);

            var deleted = Json(await silo.RunCliAsync("delete", "--session", "gone", "--json"));
            Assert.Equal(["session", "workspace", "directory", "snapshots"], Keys(deleted));
            Assert.Equal(("gone", 1), (deleted.GetProperty("session").GetString(), deleted.GetProperty("snapshots").GetInt32()));
            Assert.Equal(0, Json(await silo.RunCliAsync("history", "--session", "gone", "--json")).GetProperty("snapshots").GetArrayLength());

            var gc = Json(await silo.RunCliAsync("gc", "--session", "keep", "--json"));
            Assert.Equal(["workspace", "droppedSnapshots", "objectsDeleted", "bytesFreed", "remaining"], Keys(gc));
            Assert.Equal(["objects", "bytes"], Keys(gc.GetProperty("remaining")));
            Assert.Equal(usage.GetProperty("workspace").GetString(), gc.GetProperty("workspace").GetString());
            // Default settings: nothing of "keep" is dropped, and the deleted session's objects are younger than the grace period.
            Assert.Equal(0, gc.GetProperty("droppedSnapshots").GetInt32());
            var collected = await silo.RunCliAsync("gc", "--session", "keep");
            Assert.Contains("0 snapshots dropped by retention", collected.Stdout, StringComparison.Ordinal);

            var after = Json(await silo.RunCliAsync("usage", "--session", "keep", "--json"));
            Assert.Equal((1, 1), (after.GetProperty("snapshots").GetInt32(), after.GetProperty("sessions").GetInt32()));

            File.WriteAllText(Path.Combine(ws, "a.txt"), "changed\n");
            Json(await silo.RunCliAsync("restore", "--session", "keep", "--to", h1, "--json"));
            Assert.Equal("one\n", File.ReadAllText(Path.Combine(ws, "a.txt")));

            var unbound = await silo.RunCliAsync("usage", "--session", "never-tracked");
            Assert.True(unbound.ExitCode == 2, unbound.ToString());
            Assert.Contains("track", Assert.Single(unbound.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
            var extra = await silo.RunCliAsync("gc", "--session", "keep", "--to", h1);
            Assert.True(extra.ExitCode == 2, extra.ToString());
        }
        catch
        {
            TestContext.Current.SendDiagnosticMessage(silo.Output);
            throw;
        }
    }
}
