using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo;

/// <summary>Checks what data annotations cannot: the data directory is usable and the roots are absolute.</summary>
internal sealed class SnapshotsOptionsValidator : IValidateOptions<SnapshotsOptions>
{
    public ValidateOptionsResult Validate(string? name, SnapshotsOptions options)
    {
        var failures = new List<string>();

        var summaryResults = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options.Summary, new ValidationContext(options.Summary), summaryResults, validateAllProperties: true))
        {
            failures.AddRange(summaryResults.Select(r => $"Snapshots:Summary: {r.ErrorMessage}"));
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
}
