using AgentSnapshots.Tests.Http;
using AgentSnapshots.Tests.Oracle;

namespace AgentSnapshots.Tests.Safety;

/// <summary>
/// The differential oracle through a real silo process and its HTTP API: a seeded operation sequence, every track
/// compared with git's tree from a fresh index, the silo stopped and started again on the same data every few steps
/// (and at the generator's restarts), so the first track after each start reads the persisted index.
/// </summary>
public sealed class SiloOracleTests
{
    private const int Steps = 30;
    private const int RestartEvery = 10;

    [Fact]
    public async Task Every_track_through_a_restarted_silo_equals_gits_tree()
    {
        using var sandbox = new OracleSandbox(OracleLayout.RepositoryTop, []);
        var generator = new OracleGenerator(sandbox.Top, sandbox.Layout, new Random(25));
        var data = Path.Join(sandbox.Top, "silo-data");
        var played = new List<OracleEntry>();
        var mismatches = new List<string>();
        var silo = await SiloProcess.StartAsync(data, sandbox.Top, sandbox.Top);
        try
        {
            for (var step = 0; step < Steps; step++)
            {
                if (step > 0 && step % RestartEvery == 0)
                {
                    played.Add(new Restart());
                    silo = await RestartAsync(silo, data, sandbox.Top);
                }
                foreach (var entry in generator.Step())
                {
                    played.Add(entry);
                    switch (entry)
                    {
                        case Track:
                            var expected = sandbox.Git.TreeNow();
                            var hash = await TrackAsync(silo, sandbox.Work);
                            if (hash != expected) mismatches.Add($"after entry {played.Count}: git {expected}, silo {hash}");
                            break;
                        case Restart:
                            silo = await RestartAsync(silo, data, sandbox.Top);
                            break;
                        case TrackWhileEditing editing:
                            // The edits land before this track; the next one is compared.
                            foreach (var edit in editing.Edits) edit.Apply(sandbox.Top);
                            await TrackAsync(silo, sandbox.Work);
                            break;
                        default:
                            entry.Apply(sandbox.Top);
                            break;
                    }
                }
            }
        }
        finally
        {
            await silo.DisposeAsync();
        }
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches) + "\n" + SequenceReducer.Readable(played));
    }

    private static async Task<SiloProcess> RestartAsync(SiloProcess silo, string data, string top)
    {
        await silo.DisposeAsync();
        return await SiloProcess.StartAsync(data, top, top);
    }

    private static async Task<string> TrackAsync(SiloProcess silo, string work)
    {
        using var api = new ApiClient(silo.HttpAddress, silo.LocalKey);
        var reply = await api.PostAsync("/v1/sessions/oracle/snapshots", new { dir = work });
        return reply.Ok().GetProperty("hash").GetString()!;
    }
}
