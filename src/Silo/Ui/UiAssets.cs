using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// The UI's stylesheet, script and icon, embedded in the silo (no build step, no files to deploy), served under a name
/// that carries a hash of their content so browsers cache them for good and a new silo's change is fetched at once.
/// </summary>
public sealed class UiAssets
{
    private readonly Asset _style = Load("app.css", "text/css; charset=utf-8");
    private readonly Asset _script = Load("app.js", "text/javascript; charset=utf-8");
    // Browsers ask for an icon on every site; without one each page logs a failed /favicon.ico.
    private readonly Asset _icon = Load("icon.svg", "image/svg+xml");

    public string StyleUrl => _style.Url;

    public string ScriptUrl => _script.Url;

    public string IconUrl => _icon.Url;

    internal IResult Serve(string name)
    {
        var asset = new[] { _style, _script, _icon }.FirstOrDefault(a => name == a.Url[AssetsPath.Length..]);
        if (asset is null)
        {
            return Results.NotFound();
        }
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    internal const string AssetsPath = "/ui/assets/";

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(UiAssets).Assembly.GetManifestResourceStream("AgentSnapshots.Silo.Ui.Assets." + name)
            ?? throw new InvalidOperationException($"The UI asset {name} is not embedded in the silo.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
        var dot = name.LastIndexOf('.');
        return new Asset($"{AssetsPath}{name[..dot]}.{version}{name[dot..]}", contentType, bytes);
    }

    private sealed record Asset(string Url, string ContentType, byte[] Bytes);
}
