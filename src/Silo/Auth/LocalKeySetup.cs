using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSnapshots.Silo.Auth;

/// <summary>
/// Resolves the <see cref="LocalKey"/> at start (the options are validated on start): none when tenants are
/// configured, else <c>Auth:LocalKey</c>, else the key file (generated at first start). Logs where the key is, never
/// the key; a key that cannot be had stops the silo with exit code 2 and one line saying what to do.
/// </summary>
internal sealed partial class LocalKeySetup(IOptions<AuthSettings> auth, ILogger<LocalKeySetup> logger)
    : IConfigureOptions<LocalKey>, IValidateOptions<LocalKey>
{
    public void Configure(LocalKey options)
    {
        AuthSettings settings;
        try
        {
            settings = auth.Value;
        }
        catch (OptionsValidationException)
        {
            // The Auth settings' own validation reports what is wrong with them.
            options.Skip();
            return;
        }
        if (settings.Tenants.Count > 0)
        {
            options.Skip();
            return;
        }
        if (!string.IsNullOrWhiteSpace(settings.LocalKey))
        {
            var key = settings.LocalKey.Trim();
            if (key.Length < LocalKey.MinLength)
            {
                options.Refuse($"{AuthSettings.LocalKeyKey} is shorter than {LocalKey.MinLength} characters: set a longer random key (e.g. 'openssl rand -base64 32'), or remove the setting to use the key file.");
                return;
            }
            options.Use(key, AuthSettings.LocalKeyKey);
            LogFromSetting(logger, AuthSettings.LocalKeyKey);
            return;
        }
        var path = string.IsNullOrWhiteSpace(settings.LocalKeyFile) ? LocalKeyFile.DefaultPath() : Path.GetFullPath(settings.LocalKeyFile);
        try
        {
            options.Use(LocalKeyFile.ReadOrCreate(path, out var created), path);
            if (created)
            {
                LogGenerated(logger, path);
            }
            else
            {
                LogFromFile(logger, path);
            }
        }
        catch (LocalKeyException e)
        {
            options.Refuse(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            options.Refuse($"{AuthSettings.LocalKeyFileKey} {path} cannot be read or created ({e.Message}): check the path and its directory's permissions, or set {AuthSettings.LocalKeyFileKey} to a file of your own.");
        }
    }

    public ValidateOptionsResult Validate(string? name, LocalKey options) =>
        options.Failure is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    [LoggerMessage(Level = LogLevel.Information, Message = "Generated the local key in {Path} (mode 0600): clients on this machine read it from there; every /v1 request needs it")]
    private static partial void LogGenerated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The local key is read from {Path}; every /v1 request needs it")]
    private static partial void LogFromFile(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The local key is given by {Setting}; every /v1 request needs it")]
    private static partial void LogFromSetting(ILogger logger, string setting);
}
