using AgentSnapshots.Engine;
using AgentSnapshots.Silo;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace AgentSnapshots.Tests.Service;

/// <summary>
/// A session and a workspace stored by the previous version (grain state plus history and catalogue pages in
/// OrleansGrainState) are migrated to rows when first activated: nothing is lost, the old records are cleared.
/// </summary>
public sealed class StoreMigrationTests(ServiceClusterFixture fixture)
{
    private static readonly GrainType PageType = GrainType.Create("agentsnapshots-page");

    [Fact]
    public async Task A_session_and_workspace_stored_as_pages_are_read_back_as_rows_and_the_pages_cleared()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(SiloHostingExtensions.StorageName);
        var dir = WorkspaceIdentity.RealPath(fixture.NewWorkspace("migrated"))!;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "now\n");
        var workspaceId = WorkspaceIdentity.IdFor(dir);
        var session = fixture.Grains.GetGrain<ISessionGrain>("migrated");
        var sessionGrain = session.GetGrainId();
        var workspaceGrain = fixture.Grains.GetGrain<IWorkspaceGrain>(workspaceId).GetGrainId();
        string[] hashes = [new('a', 40), new('b', 40), new('c', 40)];

        // As the previous version wrote them: the session's state names its page range; the history is in page 0.
        await storage.WriteStateAsync("session", sessionGrain, new GrainState<SessionState>(new SessionState { WorkspaceId = workspaceId, Directory = dir }));
        await storage.WriteStateAsync("page", Page(sessionGrain, "history"), new GrainState<List<SessionSnapshot>>(
        [
            new SessionSnapshot { Hash = hashes[0], Label = "one", Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), Files = 1 },
            new SessionSnapshot { Hash = hashes[1], Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), Files = 2, Step = new SessionStep { Changed = 1, Additions = 3 } },
            new SessionSnapshot { Hash = hashes[2], Label = "three", Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_200), Files = 2, Step = new SessionStep { Changed = 2, Deletions = 4 } },
        ]));
        var header = new CatalogueHeader { Sessions = ["migrated"], FirstPage = 0, LastPage = 0 };
        await storage.WriteStateAsync("workspace", workspaceGrain, new GrainState<WorkspaceState>(new WorkspaceState { Directory = dir, Catalogue = header }));
        await storage.WriteStateAsync("page", Page(workspaceGrain, "catalogue"), new GrainState<List<CatalogueEntry>>(
            [.. hashes.Select((h, i) => new CatalogueEntry { Hash = h, Time = 1_700_000_000_000 + i, Owners = [new CatalogueOwner { Session = 0, Sequence = i + 1 }] })]));

        var history = await session.HistoryAsync();
        var usage = await session.UsageAsync();

        Assert.Equal(hashes, history.Snapshots.Select(s => s.Hash));
        Assert.Equal(["one", null, "three"], history.Snapshots.Select(s => s.Label));
        Assert.Equal(dir, history.Workspace);
        Assert.Equal(3, usage.Snapshots);
        Assert.Equal(dir, usage.Directory);
        Assert.Equal(3, Count("SELECT COUNT(*) FROM snapshots_history WHERE session_id = 'migrated'"));
        Assert.Equal(3, Count($"SELECT COUNT(*) FROM snapshots_catalogue WHERE workspace_id = '{workspaceId}'"));
        // The old records are cleared (their rows stay, without a payload).
        Assert.Equal(0, Count($"""
            SELECT COUNT(*) FROM OrleansGrainState WHERE PayloadBinary IS NOT NULL
            AND (GrainIdExtensionString LIKE '%migrated%' OR GrainIdExtensionString LIKE '%{workspaceId}%')
            """));

        // And the session goes on from there: a new track is the fourth snapshot.
        var tracked = await session.TrackAsync(null, "four");
        Assert.Equal([.. hashes, tracked.Hash], (await session.HistoryAsync()).Snapshots.Select(s => s.Hash));
    }

    private static GrainId Page(GrainId owner, string name) =>
        GrainId.Create(PageType, IdSpan.Create($"{owner}/{name}/0"));

    private long Count(string sql)
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionStringFor(fixture.DataDir));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
