using AgentSnapshots.Silo.Auth;

namespace AgentSnapshots.Cli;

/// <summary>
/// The key the CLI sends as <c>Authorization: Bearer</c>, and where it came from (what error lines name; the key
/// itself is never printed). Found in this order: <c>--key-file FILE</c> (given on the command line, so it wins, as
/// <c>--session</c> and <c>--server</c> win over their variables), <c>$AGENTSNAPSHOTS_KEY</c>, then the local key file
/// the silo on this machine writes at first start (only when every server is on this machine: loopback addresses).
/// </summary>
internal sealed class ApiKey
{
    public const string Variable = "AGENTSNAPSHOTS_KEY";

    /// <summary>The longest key read (the local key is 43 characters, a tenant's key about as long: a longer file is not a key file).</summary>
    private const int MaxLength = 4096;

    private ApiKey(string value, string source)
    {
        Value = value;
        Source = source;
    }

    /// <summary>The key; for the Authorization header only.</summary>
    public string Value { get; }

    /// <summary>Where the key came from, in words: "$AGENTSNAPSHOTS_KEY", "--key-file PATH" or "the local key file PATH".</summary>
    public string Source { get; }

    /// <summary>Never the key.</summary>
    public override string ToString() => Source;

    /// <summary>The local key file: <c>${XDG_CONFIG_HOME:-$HOME/.config}/agentsnapshots/local.key</c>, as the silo writes it.</summary>
    public static string LocalKeyFile => LocalKeyPath.Default();

    /// <summary>
    /// The key to send to <paramref name="servers"/>; a <see cref="CommandFailure"/> (bad input) if there is none or it
    /// cannot be read. The local key file is this machine's, so it is sent only when every server is on this machine:
    /// a remote server (or one that forwards elsewhere) would otherwise receive the user's local key.
    /// </summary>
    public static ApiKey Find(string? keyFile, IReadOnlyList<Uri> servers)
    {
        if (keyFile is not null)
        {
            var path = Path.GetFullPath(keyFile);
            return Checked(Read(path, $"--key-file {path}") ?? throw CommandFailure.BadInput(
                $"--key-file {path} does not exist: give the file holding the silo's key (the silo's Auth:LocalKeyFile, default {LocalKeyFile})."),
                $"--key-file {path}");
        }
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnvironment)
        {
            return Checked(fromEnvironment.Trim(), "$" + Variable);
        }
        if (servers.FirstOrDefault(server => !ServerAddresses.OnThisMachine(server)) is { } remote)
        {
            throw CommandFailure.BadInput(
                $"no key for {ServerAddresses.Shown(remote)}: the local key file is sent only to a silo on this machine (localhost, 127.0.0.0/8, ::1); for a remote server pass --key-file FILE or set ${Variable}.");
        }
        var local = LocalKeyFile;
        var source = $"the local key file {local}";
        return Checked(Read(local, source) ?? throw CommandFailure.BadInput(
            $"no key: set ${Variable}, pass --key-file FILE, or start the silo on this machine once so it writes its local key to {local}."),
            source);
    }

    /// <summary>The file's key (surrounding whitespace removed), or null if there is no such file.</summary>
    private static string? Read(string path, string source)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            if (file.Length > MaxLength)
            {
                throw CommandFailure.BadInput($"{source} is {file.Length} bytes, too long for a key: give the file holding only the silo's key.");
            }
            using var reader = new StreamReader(file);
            return reader.ReadToEnd().Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            throw CommandFailure.BadInput($"{source} cannot be read (permission denied): run as the user the key file belongs to, or give the key in ${Variable}.");
        }
        catch (IOException e)
        {
            throw CommandFailure.BadInput($"{source} cannot be read ({e.Message}).");
        }
    }

    /// <summary>A key as it may go in a header: printable ASCII without spaces (the message never shows it).</summary>
    private static ApiKey Checked(string key, string source)
    {
        if (key.Length == 0)
        {
            throw CommandFailure.BadInput($"{source} is empty: it should hold the silo's key.");
        }
        if (key.Length > MaxLength || key.Any(c => c is <= ' ' or > '~'))
        {
            throw CommandFailure.BadInput($"{source} does not hold a key (a key is one word of printable ASCII characters): check what it holds.");
        }
        return new ApiKey(key, source);
    }
}
