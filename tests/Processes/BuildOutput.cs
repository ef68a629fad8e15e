namespace AgentSnapshots.Tests.Processes;

/// <summary>Where the caller was built from and how: the repository, the configuration and the target framework of its output.</summary>
public static class BuildOutput
{
    private static readonly DirectoryInfo Output = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>The build configuration (Debug, Release) the caller's output folder is named after.</summary>
    public static string Configuration { get; } = Output.Parent!.Name;

    /// <summary>The target framework (net10.0) the caller's output folder is named after.</summary>
    public static string Framework { get; } = Output.Name;

    /// <summary>The repository root: the nearest folder above the caller's output that holds Orleans.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A file of another project's build output, in the caller's configuration and framework.</summary>
    /// <param name="project">The project's folder, relative to the repository root (<c>src/Cli</c>).</param>
    /// <param name="file">The file name in its output folder.</param>
    public static string FileOf(string project, string file)
    {
        var path = Path.Combine([RepositoryRoot, .. project.Split('/'), "bin", Configuration, Framework, file]);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built at {path}; build the solution first.");
    }

    private static string FindRoot()
    {
        for (var dir = Output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Orleans.sln above {Output.FullName}.");
    }
}
