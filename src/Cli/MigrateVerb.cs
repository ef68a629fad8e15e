using System.CommandLine;
using System.Text.RegularExpressions;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage.PostgreSql;

namespace AgentSnapshots.Cli;

/// <summary>
/// <c>agentsnapshots migrate --data-dir DIR --to postgres</c>: copies a single node's local object stores (the bare
/// repositories under its <c>Snapshots:DataDir</c>) into the cluster's object store and verifies every object of each
/// there; the local stores are only read. Run it with the node's silo stopped. The database is the one in
/// <c>ConnectionStrings__Postgres</c> (as the silo reads it; never on the command line, where others could read the password).
/// </summary>
internal static partial class MigrateVerb
{
    public const string Name = "migrate";
    public const string ConnectionVariable = "ConnectionStrings__Postgres";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "the single node's Snapshots:DataDir (its stores are DIR/workspaces/ws-*)", HelpName = "DIR", Required = true };
        var to = new Option<string>("--to") { Description = "where the stores go: postgres (the database in $" + ConnectionVariable + ")", HelpName = "BACKEND", Required = true };
        var serviceId = new Option<string>("--service-id") { Description = "the cluster's Orleans:ServiceId (default agentsnapshots)", HelpName = "ID", DefaultValueFactory = _ => "agentsnapshots" };
        var command = new Command(Name, "copy a single node's local object stores into the cluster's object store (postgres), verified object by object; the local stores are only read")
        {
            dataDir, to, serviceId,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var stores = FindStores(parse.GetRequiredValue(dataDir));
                var backend = parse.GetRequiredValue(to).Trim().ToLowerInvariant();
                if (backend != ObjectStoreKinds.Postgres)
                {
                    throw CommandFailure.BadInput($"--to is '{parse.GetRequiredValue(to)}': this build migrates to postgres only (the cluster's database in ${ConnectionVariable}).");
                }
                var connection = Environment.GetEnvironmentVariable(ConnectionVariable);
                if (string.IsNullOrWhiteSpace(connection))
                {
                    throw CommandFailure.BadInput($"${ConnectionVariable} is not set: set it to the cluster's connection string (as its silos have it), then run again.");
                }
                await using var postgres = new PostgresObjectBackend(connection, parse.GetRequiredValue(serviceId));
                if (!await postgres.HasSchemaAsync(ct))
                {
                    throw CommandFailure.BadInput("The database has no object tables yet: start a silo on it once (it creates its schema), then run again.");
                }
                var scratch = Directory.CreateTempSubdirectory("agentsnapshots-migrate-").FullName;
                try
                {
                    long objects = 0;
                    foreach (var store in stores)
                    {
                        var migrated = await Task.Run(() => StoreMigration.Migrate(ObjectStore.Open(store), postgres, Path.GetFileName(store), scratch, ct), ct);
                        objects += migrated.ObjectsVerified;
                        await stdout.WriteLineAsync($"{migrated.StoreId}: {migrated.Packs} packs, {migrated.Bytes} bytes stored, {migrated.ObjectsVerified} objects verified");
                    }
                    await stdout.WriteLineAsync($"{stores.Count} stores migrated to postgres, {objects} objects verified.");
                }
                finally
                {
                    Directory.Delete(scratch, recursive: true);
                }
                return ExitCodes.Success;
            }
            catch (CommandFailure e)
            {
                await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name} {Name}: {e.Message}");
                return e.ExitCode;
            }
            catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await stderr.WriteLineAsync($"{AgentSnapshotsCommand.Name} {Name}: failed: {SiloApi.FirstLine(e.Message)} (what was stored is stored again by the next run)");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>The stores under <paramref name="dataDir"/>, or bad input that says what the directory is not.</summary>
    private static List<string> FindStores(string dataDir)
    {
        var full = Path.GetFullPath(dataDir);
        var workspaces = Path.Combine(full, "workspaces");
        if (!Directory.Exists(full))
        {
            throw CommandFailure.BadInput($"--data-dir '{dataDir}' does not exist: give the single node's Snapshots:DataDir.");
        }
        if (!Directory.Exists(workspaces))
        {
            throw CommandFailure.BadInput($"--data-dir '{dataDir}' has no workspaces directory: give the single node's Snapshots:DataDir (the directory that holds workspaces/ws-*).");
        }
        var stores = Directory.EnumerateDirectories(workspaces)
            .Where(d => StoreName().IsMatch(Path.GetFileName(d)) && Directory.Exists(Path.Combine(d, "objects")))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (stores.Count == 0)
        {
            throw CommandFailure.BadInput($"--data-dir '{dataDir}' holds no object store (workspaces/ws-* with objects/): nothing to migrate.");
        }
        return stores;
    }

    [GeneratedRegex("^ws-[0-9a-f]{24}$")]
    private static partial Regex StoreName();
}
