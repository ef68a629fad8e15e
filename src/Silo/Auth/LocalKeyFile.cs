using System.Buffers.Text;
using System.Security.Cryptography;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// The file holding the local key: read if it exists, else generated (32 random bytes, base64url) in a directory
/// only its user can enter, created under a temporary name with mode 0600 and linked into place, so no other user
/// can read it even briefly and two silos starting at once end up with the same key. A file other users could read
/// or write, or a directory others can write into, is refused: the key would no longer be only the user's.
/// </summary>
internal static class LocalKeyFile
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary><c>${XDG_CONFIG_HOME:-$HOME/.config}/agentsnapshots/local.key</c>.</summary>
    public static string DefaultPath()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(config) || !Path.IsPathFullyQualified(config))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            config = Path.Combine(string.IsNullOrEmpty(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home, ".config");
        }
        return Path.Combine(config, "agentsnapshots", "local.key");
    }

    /// <summary>The key in <paramref name="path"/>, generating the file first if there is none; created says which.</summary>
    /// <exception cref="LocalKeyException">The file or its directory is not the user's alone, or holds no usable key.</exception>
    public static string ReadOrCreate(string path, out bool created)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(directory) & UnixFileMode.OtherWrite) != 0)
        {
            throw new LocalKeyException($"the directory {directory} of {AuthSettings.LocalKeyFileKey} {path} is writable by other users, who could replace the key: run 'chmod 700 {directory}' (or 'chmod o-w'), or name a file in a directory of your own in {AuthSettings.LocalKeyFileKey}.");
        }
        created = !File.Exists(path) && TryCreate(path, directory);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) is var open and not 0)
        {
            throw new LocalKeyException($"{AuthSettings.LocalKeyFileKey} {path} can be {((open & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 ? "written" : "read")} by other users (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8)}): run 'chmod 600 {path}', and if others may have read it, delete it to have a new key generated at the next start.");
        }
        var key = File.ReadAllText(path).Trim();
        if (key.Length < LocalKey.MinLength)
        {
            throw new LocalKeyException($"{AuthSettings.LocalKeyFileKey} {path} holds {(key.Length == 0 ? "no key" : "a key shorter than " + LocalKey.MinLength + " characters")}: delete the file to have a new key generated at the next start, or write a longer key into it.");
        }
        return key;
    }

    /// <summary>Writes a new key under a temporary name and links it into place; false if another process was first.</summary>
    private static bool TryCreate(string path, string directory)
    {
        var key = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var temporary = Path.Combine(directory, $".local.key.{Environment.ProcessId}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(6))}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key + "\n");
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>The local key file cannot be used; the message says why and what to do.</summary>
internal sealed class LocalKeyException(string message) : Exception(message);
