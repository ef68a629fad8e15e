using System.Text.Json;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.PostgreSql;
using AgentSnapshots.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSnapshots.Tests.ObjectStorage;

/// <summary>
/// <c>agentsnapshots migrate</c>, the real CLI: a single node's local stores (written by a real silo) copied into a
/// real PostgreSQL database and verified object by object, the local stores untouched; bad input exits 2 with one
/// line that says what to do, and changes nothing.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
public sealed class MigrateCommandTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_single_nodes_stores_move_to_postgres_verified_and_the_cluster_reads_them()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-migrate");
        var root = Directory.CreateDirectory(temp.Combine("work")).FullName;
        var dataDir = temp.Combine("data");
        var (store, hashes) = await WriteSingleNodeAsync(dataDir, root);
        var before = Listing(store);
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, ct);

        var migrate = await CliProcess.RunAsync(["migrate", "--data-dir", dataDir, "--to", "postgres", "--service-id", "migrated"], root,
            new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = database.ConnectionString });
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Matches(@"ws-[0-9a-f]{24}: \d+ packs, \d+ bytes stored, \d+ objects verified", migrate.Stdout);
        Assert.Contains("1 stores migrated to postgres", migrate.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, Listing(store));

        // A cluster's cold cache reads every snapshot, and the stored packs are git's (git checks them).
        await using var backend = new PostgresObjectBackend(database.ConnectionString, "migrated");
        var cold = new PackCache(backend, temp.Combine("cluster", "workspaces"), 1L << 30).Open(Path.GetFileName(store));
        foreach (var hash in hashes)
        {
            Assert.Contains(cold.ReadTree(GitObjectId.Parse(hash)), e => e.Name == "f.txt");
        }
        var local = ObjectStore.Open(store);
        Assert.All(local.EnumerateObjects(), id => Assert.True(cold.Contains(id), $"{id} is not in the migrated store"));

        // Running it again stores nothing twice and verifies again.
        var again = await CliProcess.RunAsync(["migrate", "--data-dir", dataDir, "--to", "postgres", "--service-id", "migrated"], root,
            new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = database.ConnectionString });
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal((await backend.ListAsync(Path.GetFileName(store), ct)).Count, (await backend.ListAsync(Path.GetFileName(store), ct)).DistinctBy(f => f.Name).Count());
    }

    [Fact]
    public async Task A_build_for_sandboxes_leaves_migrate_out_says_what_to_run_and_changes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("as-migrate-absent");
        var dataDir = temp.Combine("data");
        var store = ObjectStore.Open(Path.Combine(dataDir, "workspaces", "ws-0123456789abcdef01234567"));
        store.WriteObject(GitObjectType.Blob, "kept on this node\n"u8);
        var before = Listing(store.GitDir);
        await PostgresSchema.ApplyAsync(database.ConnectionString, NullLogger.Instance, ct);
        var args = new[] { "migrate", "--data-dir", dataDir, "--to", "postgres", "--service-id", "absent-build" };
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = database.ConnectionString };

        // The switch Cli.csproj sets with -p:AgentSnapshotsMigrate=false (the Dockerfile's agent stage).
        var run = await CliProcess.RunWithSwitchesAsync(new Dictionary<string, bool> { [MigrateVerbSwitch] = false }, args, temp.Path, environment);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("published for sandbox images, without migrate; nothing was done", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/Cli -c Release -r linux-x64", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', run.Stderr.TrimEnd());
        await using var backend = new PostgresObjectBackend(database.ConnectionString, "absent-build");
        Assert.Empty(await backend.ListAsync("ws-0123456789abcdef01234567", ct));
        Assert.Equal(before, Listing(store.GitDir));

        // The same command with the switch on (every other build) migrates.
        var migrated = await CliProcess.RunWithSwitchesAsync(new Dictionary<string, bool> { [MigrateVerbSwitch] = true }, args, temp.Path, environment);
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.NotEmpty(await backend.ListAsync("ws-0123456789abcdef01234567", ct));
    }

    /// <summary>MigrateVerb.Switch (the CLI's own types are not referenced from here: it runs as a process).</summary>
    private const string MigrateVerbSwitch = "AgentSnapshots.Cli.Migrate.IsSupported";

    [Fact]
    public async Task Bad_input_exits_2_with_what_to_do_and_changes_nothing()
    {
        using var temp = new TempDirectory("as-migrate-bad");
        var withConnection = new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = database.ConnectionString };
        var noConnection = new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = "" };
        Directory.CreateDirectory(temp.Combine("data", "workspaces", "ws-0123456789abcdef01234567", "objects"));

        await AssertBadInput(["migrate", "--data-dir", temp.Combine("absent"), "--to", "postgres"], withConnection, "does not exist");
        await AssertBadInput(["migrate", "--data-dir", temp.Path, "--to", "postgres"], withConnection, "has no workspaces directory");
        await AssertBadInput(["migrate", "--data-dir", temp.Combine("data"), "--to", "ftp"], withConnection, "give postgres (the cluster's database in $ConnectionStrings__Postgres) or s3");
        await AssertBadInput(["migrate", "--data-dir", temp.Combine("data"), "--to", "postgres"], noConnection, "ConnectionStrings__Postgres is not set");
        await AssertBadInput(["migrate", "--data-dir", temp.Combine("data"), "--to", "postgres", "--bucket", "b"], withConnection, "are for --to s3");
        await AssertBadInput(["migrate", "--to", "postgres"], withConnection, "--data-dir");

        async Task AssertBadInput(string[] args, Dictionary<string, string?> environment, string expected)
        {
            var run = await CliProcess.RunAsync(args, temp.Path, environment);
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', run.Stderr.TrimEnd());
        }
    }

    /// <summary>
    /// A single node's data directory as a real silo leaves it: one store holding a pack and loose objects both (four
    /// snapshots, collected once between). Returns the store's directory and the snapshots' hashes.
    /// </summary>
    internal static async Task<(string Store, List<string> Hashes)> WriteSingleNodeAsync(string dataDir, string root)
    {
        var workspace = Directory.CreateDirectory(Path.Combine(root, "ws")).FullName;
        var hashes = new List<string>();
        await using (var silo = await SiloProcess.StartAsync(dataDir, root, root))
        {
            for (var step = 0; step < 3; step++)
            {
                File.WriteAllText(Path.Combine(workspace, "f.txt"), string.Concat(Enumerable.Range(0, 200).Select(n => $"step {step} line {n}\n")));
                var run = await silo.RunCliAsync("track", "--session", "laptop", "--dir", workspace, "--json");
                Assert.True(run.ExitCode == 0, run.ToString());
                hashes.Add(JsonDocument.Parse(run.Stdout).RootElement.GetProperty("hash").GetString()!);
            }
            // Collected once: the store holds a pack and loose objects both.
            Assert.Equal(0, (await silo.RunCliAsync("gc", "--session", "laptop")).ExitCode);
            File.WriteAllText(Path.Combine(workspace, "g.txt"), "after the collection\n");
            var last = await silo.RunCliAsync("track", "--session", "laptop", "--json");
            hashes.Add(JsonDocument.Parse(last.Stdout).RootElement.GetProperty("hash").GetString()!);
        }
        return (Assert.Single(Directory.GetDirectories(Path.Combine(dataDir, "workspaces"))), hashes);
    }

    /// <summary>Every file of the store with its length and time: what "only read" must leave as it was.</summary>
    internal static List<string> Listing(string store) =>
        [.. Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .Select(f => $"{Path.GetRelativePath(store, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}")
            .Order(StringComparer.Ordinal)];
}
