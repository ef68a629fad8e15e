using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using AgentSnapshots.Engine.Foundation;
using AgentSnapshots.Engine.Objects;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.ObjectStorage;
using AgentSnapshots.ObjectStorage.PostgreSql;
using AgentSnapshots.ObjectStorage.S3;

namespace AgentSnapshots.Cli;

/// <summary>
/// <c>agentsnapshots migrate --data-dir DIR --to postgres|s3</c>: copies a single node's local object stores (the bare
/// repositories under its <c>Snapshots:DataDir</c>) into the cluster's object store and verifies every object of each
/// there; the local stores are only read. Run it with the node's silo stopped. The database is the one in
/// <c>ConnectionStrings__Postgres</c> (as the silo reads it; never on the command line, where others could read the
/// password); the S3 credentials come from the standard AWS sources (as the silo's <c>s3</c> backend reads them).
/// </summary>
internal static partial class MigrateVerb
{
    public const string Name = "migrate";
    public const string ConnectionVariable = "ConnectionStrings__Postgres";

    /// <summary>The build's switch (Cli.csproj's <c>AgentSnapshotsMigrate</c>) that leaves this verb out.</summary>
    public const string Switch = "AgentSnapshots.Cli.Migrate.IsSupported";

    /// <summary>
    /// Whether this build has the verb. An executable published for a sandbox image (<c>-p:AgentSnapshotsMigrate=false</c>,
    /// as the Dockerfile's agent stage does) leaves it out: the trimmer then drops the PostgreSQL and S3 clients with it,
    /// which are half the native executable and a third of its idle memory, and which a workspace agent never uses.
    /// </summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out var supported) || supported;

    /// <summary>The verb, or in a build without it a stand-in that says where to find it.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr) => IsSupported ? CreateMigrate(stdout, stderr) : CreateAbsent(stderr);

    /// <summary>
    /// Takes any arguments and refuses them (exit 2, nothing done), naming the builds that have the verb: a script that
    /// calls migrate through a sandbox's executable learns what to run instead.
    /// </summary>
    private static Command CreateAbsent(TextWriter stderr)
    {
        var rest = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        var command = new Command(Name, "not in this build (published for sandbox images): run migrate with the CLI as the README installs it, the dotnet tool or the silo's image") { rest };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (_, _) =>
        {
            await stderr.WriteLineAsync(
                $"{AgentSnapshotsCommand.Name} {Name}: this executable was published for sandbox images, without migrate; nothing was done. " +
                "Run the same command with the CLI as the README installs it (dotnet publish src/Cli -c Release -r linux-x64), the dotnet tool, or in the silo's image.");
            return ExitCodes.BadInput;
        });
        return command;
    }

    private static Command CreateMigrate(TextWriter stdout, TextWriter stderr)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "the single node's Snapshots:DataDir (its stores are DIR/workspaces/ws-*)", HelpName = "DIR", Required = true };
        var to = new Option<string>("--to") { Description = "where the stores go: postgres (the database in $" + ConnectionVariable + ") or s3 (--bucket; credentials from the standard AWS sources, e.g. $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)", HelpName = "BACKEND", Required = true };
        var serviceId = new Option<string>("--service-id") { Description = "postgres: the cluster's Orleans:ServiceId (default agentsnapshots)", HelpName = "ID", DefaultValueFactory = _ => "agentsnapshots" };
        var bucket = new Option<string>("--bucket") { Description = "s3: the bucket the cluster's silos use (their Snapshots:S3:Bucket); required with --to s3", HelpName = "B" };
        var serviceUrl = new Option<string>("--service-url") { Description = "s3: the S3-compatible server's endpoint (their Snapshots:S3:ServiceUrl); leave out for AWS S3", HelpName = "URL" };
        var prefix = new Option<string>("--prefix") { Description = "s3: the key prefix of the cluster's stores (their Snapshots:S3:Prefix); leave out for none", HelpName = "P" };
        var command = new Command(Name, "copy a single node's local object stores into the cluster's object store (postgres or s3), verified object by object; the local stores are only read")
        {
            dataDir, to, serviceId, bucket, serviceUrl, prefix,
        };
        command.SetAction(async (parse, ct) =>
        {
            IObjectBackend? target = null;
            try
            {
                var stores = FindStores(parse.GetRequiredValue(dataDir));
                var kind = parse.GetRequiredValue(to).Trim().ToLowerInvariant();
                var s3 = new S3Options { Bucket = parse.GetValue(bucket) ?? "", ServiceUrl = parse.GetValue(serviceUrl) ?? "", Prefix = parse.GetValue(prefix) ?? "" };
                target = kind switch
                {
                    ObjectStoreKinds.Postgres => await OpenPostgresAsync(parse.GetRequiredValue(serviceId), HasS3Options(parse, bucket, serviceUrl, prefix), ct),
                    ObjectStoreKinds.S3 => await OpenS3Async(s3, Path.GetFileName(stores[0]), ct),
                    _ => throw CommandFailure.BadInput($"--to is '{parse.GetRequiredValue(to)}': give postgres (the cluster's database in ${ConnectionVariable}) or s3 (with --bucket)."),
                };
                var objects = await MigrateAsync(stores, target, stdout, ct);
                await stdout.WriteLineAsync($"{stores.Count} stores migrated to {target.Name}, {objects} objects verified.");
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
            finally
            {
                switch (target)
                {
                    case IAsyncDisposable asyncDisposable: await asyncDisposable.DisposeAsync(); break;
                    case IDisposable disposable: disposable.Dispose(); break;
                }
            }
        });
        return command;
    }

    /// <summary>Copies and verifies each store in turn, one line each; returns how many objects were verified in all.</summary>
    private static async Task<long> MigrateAsync(List<string> stores, IObjectBackend target, TextWriter stdout, CancellationToken ct)
    {
        var scratch = Directory.CreateTempSubdirectory("agentsnapshots-migrate-").FullName;
        try
        {
            long objects = 0;
            foreach (var store in stores)
            {
                var migrated = await Task.Run(() => StoreMigration.Migrate(ObjectStore.Open(store), target, Path.GetFileName(store), scratch, ct), ct);
                objects += migrated.ObjectsVerified;
                await stdout.WriteLineAsync($"{migrated.StoreId}: {migrated.Packs} packs, {migrated.Bytes} bytes stored, {migrated.ObjectsVerified} objects verified");
            }
            return objects;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The cluster's database (from <see cref="ConnectionVariable"/>), once it has its object tables.</summary>
    private static async Task<IObjectBackend> OpenPostgresAsync(string serviceId, bool hasS3Options, CancellationToken ct)
    {
        if (hasS3Options)
        {
            throw CommandFailure.BadInput("--bucket, --service-url and --prefix are for --to s3: leave them out with --to postgres (or give --to s3).");
        }
        var connection = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw CommandFailure.BadInput($"${ConnectionVariable} is not set: set it to the cluster's connection string (as its silos have it), then run again.");
        }
        var postgres = new PostgresObjectBackend(connection, serviceId);
        if (!await postgres.HasSchemaAsync(ct))
        {
            await postgres.DisposeAsync();
            throw CommandFailure.BadInput("The database has no object tables yet: start a silo on it once (it creates its schema), then run again.");
        }
        return postgres;
    }

    /// <summary>
    /// The S3 backend the cluster's silos use, with the credentials of the standard AWS sources; bad settings are bad
    /// input. One listing (of <paramref name="firstStore"/>) up front, so an unreachable server or refused credentials
    /// fail the run before anything is read, even when the stores are empty.
    /// </summary>
    private static async Task<IObjectBackend> OpenS3Async(S3Options options, string firstStore, CancellationToken ct)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw CommandFailure.BadInput($"{string.Join(' ', problems)} (On the command line: --bucket, --service-url, --prefix.)");
        }
        var s3 = ObjectBackends.S3(options);
        try
        {
            await s3.ListAsync(firstStore, ct);
            return s3;
        }
        catch
        {
            ((IDisposable)s3).Dispose();
            throw;
        }
    }

    private static bool HasS3Options(ParseResult parse, params Option<string>[] options) =>
        options.Any(o => parse.GetResult(o) is { Implicit: false });

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
