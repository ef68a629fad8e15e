using System.Buffers.Text;
using System.Security.Cryptography;
using AgentSnapshots.Engine;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// The file holding the local key: read if it exists, else generated (32 random bytes, base64url) in a directory
/// only its user can enter, created under a temporary name with mode 0600 and linked into place, so no other user
/// can read it even briefly and two silos starting at once end up with the same key. A file other users could read
/// or write, another user's file, a symlink, or a directory others can write into or own, is refused: the key would no
/// longer be only the user's.
/// </summary>
internal static class LocalKeyFile
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary><c>${XDG_CONFIG_HOME:-$HOME/.config}/agentsnapshots/local.key</c>.</summary>
    public static string DefaultPath() => LocalKeyPath.Default();

    /// <summary>The key in <paramref name="path"/>, generating the file first if there is none; created says which.</summary>
    /// <exception cref="LocalKeyException">The file or its directory is not the user's alone, or holds no usable key.</exception>
    public static string ReadOrCreate(string path, out bool created)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
        if (OperatingSystem.IsWindows())
        {
            created = !File.Exists(path) && TryCreate(path, directory);
            return Checked(File.ReadAllText(path), path);
        }
        CheckDirectory(directory, path);
        created = !File.Exists(path) && TryCreate(path, directory);
        // Opened once, without following a symlink: the mode and owner checked are those of the file read.
        using var handle = OwnedFiles.OpenForReadingNoFollow(path, out var isSymlink) ?? throw new LocalKeyException(isSymlink
            ? $"{AuthSettings.LocalKeyFileKey} {path} is a symbolic link, which could be pointed at another file: replace it with the key file itself, or name the real file in {AuthSettings.LocalKeyFileKey}."
            : $"{AuthSettings.LocalKeyFileKey} {path} disappeared while the silo started: start the silo again.");
        var status = OwnedFiles.Of(handle);
        if (!status.IsRegularFile)
        {
            throw new LocalKeyException($"{AuthSettings.LocalKeyFileKey} {path} is not a regular file: remove it to have a new key generated at the next start, or name a key file in {AuthSettings.LocalKeyFileKey}.");
        }
        if (status.Owner != OwnedFiles.CurrentUser)
        {
            throw new LocalKeyException($"{AuthSettings.LocalKeyFileKey} {path} belongs to user id {status.Owner}, not to the user the silo runs as ({OwnedFiles.CurrentUser}): run 'chown {OwnedFiles.CurrentUser} {path}' if the key is yours, else delete it to have a new key generated at the next start.");
        }
        if ((status.Mode & GroupOrOthers) is var open and not 0)
        {
            throw new LocalKeyException($"{AuthSettings.LocalKeyFileKey} {path} can be {((open & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 ? "written" : "read")} by other users (mode {Convert.ToString((int)status.Mode, 8)}): run 'chmod 600 {path}', and if others may have read it, delete it to have a new key generated at the next start.");
        }
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        using var reader = new StreamReader(stream);
        return Checked(reader.ReadToEnd(), path);
    }

    /// <summary>
    /// Refuses a directory others could write into (they could replace the key), or one another user owns (root
    /// aside: root can replace any file anyway).
    /// </summary>
    private static void CheckDirectory(string directory, string path)
    {
        var status = OwnedFiles.Of(directory);
        if (status.Owner != OwnedFiles.CurrentUser && status.Owner != 0)
        {
            throw new LocalKeyException($"the directory {directory} of {AuthSettings.LocalKeyFileKey} {path} belongs to user id {status.Owner}, not to the user the silo runs as ({OwnedFiles.CurrentUser}), who could replace the key: run 'chown {OwnedFiles.CurrentUser} {directory}', or name a file in a directory of your own in {AuthSettings.LocalKeyFileKey}.");
        }
        if ((status.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new LocalKeyException($"the directory {directory} of {AuthSettings.LocalKeyFileKey} {path} is writable by other users (mode {Convert.ToString((int)status.Mode, 8)}), who could replace the key: run 'chmod 700 {directory}' (or 'chmod go-w'), or name a file in a directory of your own in {AuthSettings.LocalKeyFileKey}.");
        }
    }

    private static string Checked(string text, string path)
    {
        var key = text.Trim();
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
