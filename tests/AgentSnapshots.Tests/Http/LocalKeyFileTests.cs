using System.Net;
using AgentSnapshots.Tests.Support;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// The local key file, as the silo process keeps it: generated at first start where only its user can read it,
/// named in the log but never printed, the same at the next start; a file or directory others could read or write
/// stops the silo with exit code 2 and one line saying what to do.
/// </summary>
public sealed class LocalKeyFileTests
{
    /// <summary>Settings that make the silo use the key file under <paramref name="config"/> (its XDG_CONFIG_HOME).</summary>
    private static Dictionary<string, string> FromKeyFile(string config) => new()
    {
        ["Auth__LocalKey"] = "",
        ["XDG_CONFIG_HOME"] = config,
    };

    [Fact]
    public async Task The_key_file_is_generated_at_first_start_for_its_user_only_and_never_logged()
    {
        using var temp = new TempDirectory("as-key-new");
        var ws = Directory.CreateDirectory(temp.Combine("work", "ws")).FullName;
        var file = temp.Combine("config", "agentsnapshots", "local.key");
        string key;
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Combine("work"), temp.Path, FromKeyFile(temp.Combine("config"))))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
            key = File.ReadAllText(file).Trim();
            // 32 random bytes, base64url.
            Assert.Matches("^[A-Za-z0-9_-]{43}$", key);
            Assert.Contains(file, silo.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(key, silo.Output, StringComparison.Ordinal);
            Assert.Equal([file], Directory.GetFiles(Path.GetDirectoryName(file)!));

            using var api = new ApiClient(silo.HttpAddress, key);
            (await api.PostAsync("/v1/sessions/key/snapshots", new { dir = ws })).Ok();
            using var stranger = new ApiClient(silo.HttpAddress);
            (await stranger.GetAsync("/v1/sessions/key/snapshots")).Problem(HttpStatusCode.Unauthorized, "missingKey");
        }

        // The next start reads the same key: clients keep working.
        await using (var silo = await SiloProcess.StartAsync(temp.Combine("data"), temp.Combine("work"), temp.Path, FromKeyFile(temp.Combine("config"))))
        {
            Assert.Equal(key, File.ReadAllText(file).Trim());
            using var api = new ApiClient(silo.HttpAddress, key);
            Assert.Single((await api.GetAsync("/v1/sessions/key/snapshots")).Ok().GetProperty("snapshots").EnumerateArray());
            Assert.DoesNotContain(key, silo.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("0644", "chmod 600")]
    [InlineData("0640", "chmod 600")]
    [InlineData("0602", "chmod 600")]
    public async Task A_key_file_others_can_read_or_write_stops_the_silo_with_exit_code_2(string mode, string advice)
    {
        using var temp = new TempDirectory("as-key-open");
        var file = temp.Combine("keys", "local.key");
        // 0700 whatever the umask: the file's mode is what is refused.
        Directory.CreateDirectory(temp.Combine("keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string Key = "a-key-someone-else-may-have-read-0123456789";
        File.WriteAllText(file, Key + "\n");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(mode, 8));
        var settings = FromKeyFile(temp.Combine("config"));
        settings["Auth__LocalKeyFile"] = file;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, settings));
        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains("Auth:LocalKeyFile " + file, line, StringComparison.Ordinal);
        Assert.Contains(advice, line, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0777")]
    [InlineData("0770")]
    [InlineData("0730")]
    public async Task A_key_directory_others_can_write_stops_the_silo_with_exit_code_2(string mode)
    {
        using var temp = new TempDirectory("as-key-dir");
        var directory = Directory.CreateDirectory(temp.Combine("config", "agentsnapshots")).FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)Convert.ToInt32(mode, 8));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, FromKeyFile(temp.Combine("config"))));
        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains("chmod 700 " + directory, line, StringComparison.Ordinal);
        // Nothing was written into it.
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task A_symlinked_key_file_stops_the_silo_with_exit_code_2()
    {
        using var temp = new TempDirectory("as-key-link");
        var directory = Directory.CreateDirectory(temp.Combine("config", "agentsnapshots")).FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string Key = "a-key-behind-a-link-0123456789-0123456789-0123";
        var target = temp.Write("elsewhere.key", Key + "\n");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var file = Path.Combine(directory, "local.key");
        File.CreateSymbolicLink(file, target);

        var line = await StartRefused(temp, FromKeyFile(temp.Combine("config")), Key);
        Assert.Contains($"Auth:LocalKeyFile {file} is a symbolic link", line, StringComparison.Ordinal);
        // Left as it was.
        Assert.Equal(target, new FileInfo(file).LinkTarget);
    }

    [Theory]
    [InlineData("file")]
    [InlineData("directory")]
    public async Task A_key_file_or_directory_of_another_user_stops_the_silo_with_exit_code_2(string owned)
    {
        using var temp = new TempDirectory("as-key-owner");
        var directory = Directory.CreateDirectory(temp.Combine("config", "agentsnapshots")).FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string Key = "a-key-of-another-user-0123456789-0123456789-01";
        var file = temp.Write("config/agentsnapshots/local.key", Key + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // The tests run as root (as the throwaway PostgreSQL does, which runs as nobody): give it to nobody.
        var changed = owned == "file" ? file : directory;
        var chown = await ProcessRunner.RunAsync("chown", ["nobody", changed], temp.Path);
        Assert.True(chown.ExitCode == 0, "this test gives a file to the user nobody, so it runs as root: " + chown);

        var line = await StartRefused(temp, FromKeyFile(temp.Combine("config")), Key);
        Assert.Contains($"{(owned == "file" ? "Auth:LocalKeyFile " + file : "the directory " + directory)} ", line, StringComparison.Ordinal);
        Assert.Contains("belongs to user id ", line, StringComparison.Ordinal);
        Assert.Contains("run 'chown ", line, StringComparison.Ordinal);
    }

    /// <summary>Starts a silo that must refuse its key file: exit code 2, one critical line (returned), never the key.</summary>
    private static async Task<string> StartRefused(TempDirectory temp, Dictionary<string, string> settings, string key)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(temp.Combine("data"), temp.Path, temp.Path, settings));
        Assert.Contains("exited (2)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
        return Assert.Single(error.Message.Split('\n'), l => l.Contains("crit:", StringComparison.Ordinal));
    }
}
