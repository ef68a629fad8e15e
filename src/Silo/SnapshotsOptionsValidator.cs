using AgentSnapshots.Engine;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>Checks what data annotations cannot: the data directory is usable and the roots are absolute.</summary>
internal sealed class SnapshotsOptionsValidator : IValidateOptions<SnapshotsOptions>
{
    public ValidateOptionsResult Validate(string? name, SnapshotsOptions options)
    {
        var failures = new List<string>();

        ValidateSection(options.Summary, "Snapshots:Summary", failures);
        ValidateSection(options.Retention, "Snapshots:Retention", failures);
        if (options.Retention.KeepYoungerThan < TimeSpan.Zero || options.Retention.Grace < TimeSpan.Zero)
        {
            failures.Add("Snapshots:Retention: KeepYoungerThan and Grace are durations (d.hh:mm:ss) and cannot be negative.");
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
