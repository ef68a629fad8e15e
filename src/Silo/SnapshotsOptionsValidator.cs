using AgentSnapshots.Engine;
using AgentSnapshots.Engine.Objects.Backends;
using AgentSnapshots.Engine.SystemCalls;
using AgentSnapshots.ObjectStorage;
using AgentSnapshots.ObjectStorage.S3;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>Checks what data annotations cannot: the data directory is usable, the roots are absolute, the active-workspace bound fits the open-file limit.</summary>
internal sealed class SnapshotsOptionsValidator(IConfiguration configuration) : IValidateOptions<SnapshotsOptions>
{
    /// <summary>The watcher's on/off switch, also accepted as a value of the section itself.</summary>
    public const string WatchKey = "Snapshots:Watch";

    public ValidateOptionsResult Validate(string? name, SnapshotsOptions options)
    {
        var failures = new List<string>();

        ValidateSection(options.Summary, "Snapshots:Summary", failures);
        ValidateSection(options.Retention, "Snapshots:Retention", failures);
        if (options.Retention.KeepYoungerThan < TimeSpan.Zero || options.Retention.Grace < TimeSpan.Zero)
        {
            failures.Add("Snapshots:Retention: KeepYoungerThan and Grace are durations (d.hh:mm:ss) and cannot be negative.");
        }

        ValidateSection(options.Watch, WatchKey, failures);
        if (options.Watch.IdleAfter <= TimeSpan.Zero)
        {
            failures.Add("Snapshots:Watch:IdleAfter must be a positive duration (hh:mm:ss), such as 00:10:00.");
        }
        if (options.Watch.VerifyAfterIdle < TimeSpan.Zero)
        {
            failures.Add("Snapshots:Watch:VerifyAfterIdle must be a duration (hh:mm:ss), such as 00:05:00, or 00:00:00 to verify only by count (VerifyEvery).");
        }
        if (configuration[WatchKey] is { } watch && !bool.TryParse(watch, out _))
        {
            failures.Add($"Snapshots:Watch is '{watch}': set it to true or false (or set Snapshots:Watch:Enabled).");
        }

        if (options.MaxActiveWorkspaces < 1)
        {
            failures.Add($"Snapshots:MaxActiveWorkspaces is {options.MaxActiveWorkspaces}: set it to at least 1 (default {SnapshotsOptions.DefaultMaxActiveWorkspaces}, derived from the open-file limit).");
        }
        else if (OpenFileLimit.Soft is { } limit && options.MaxActiveWorkspaces >= limit)
        {
            failures.Add($"Snapshots:MaxActiveWorkspaces is {options.MaxActiveWorkspaces}, but this process may open only {limit} files (ulimit -n) and every active workspace holds one: " +
                $"set it well below {limit} (default {SnapshotsOptions.DefaultMaxActiveWorkspaces}: half of what the runtime's own ~{SnapshotsOptions.RuntimeDescriptors} leave), or raise the limit (ulimit -n, LimitNOFILE).");
        }

        switch (ObjectBackends.Resolve(options.ObjectStore, SiloHostingExtensions.PostgresConnectionString(configuration) is not null))
        {
            case null:
                failures.Add($"Snapshots:ObjectStore is '{options.ObjectStore}': set it to one of {string.Join(", ", ObjectBackends.Kinds)} (or leave it empty for the default).");
                break;
            case ObjectStoreKinds.Postgres when SiloHostingExtensions.PostgresConnectionString(configuration) is null:
                failures.Add("Snapshots:ObjectStore is 'postgres' but ConnectionStrings:Postgres is not set: the objects live in the cluster's PostgreSQL database; set the connection string, or use 'local'.");
                break;
            case ObjectStoreKinds.S3 when SiloHostingExtensions.PostgresConnectionString(configuration) is null:
                failures.Add("Snapshots:ObjectStore is 's3' but ConnectionStrings:Postgres is not set: the objects live in the bucket but what is kept is recorded in the cluster's PostgreSQL database; set the connection string, or use 'local'.");
                break;
            case ObjectStoreKinds.S3:
                failures.AddRange((configuration.GetSection(S3Options.Section).Get<S3Options>() ?? new S3Options()).Problems());
                break;
        }

        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            failures.Add("Snapshots:DataDir is empty: set it to a directory the silo may write (default ./data).");
        }
        else
        {
            var dataDir = Path.GetFullPath(options.DataDir);
            try
            {
                Directory.CreateDirectory(dataDir);
                var probe = Path.Combine(dataDir, $".write-probe-{Environment.ProcessId}");
                File.WriteAllText(probe, "");
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                failures.Add($"Snapshots:DataDir '{dataDir}' cannot be created or written ({e.Message}): choose a writable directory.");
            }
        }

        foreach (var root in options.WorkspaceRoots)
        {
            if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
            {
                failures.Add($"Snapshots:WorkspaceRoots entry '{root}' is not an absolute path: list absolute directories such as /home/me/src.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Data annotations of a nested section, which the top-level validation does not descend into.</summary>
    private static void ValidateSection(object section, string name, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{name}: {r.ErrorMessage}"));
        }
    }
}
