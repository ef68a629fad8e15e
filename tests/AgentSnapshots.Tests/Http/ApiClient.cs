using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AgentSnapshots.Tests.Http;

/// <summary>One HTTP reply of the API: status, media type, headers and body.</summary>
public sealed record ApiReply(HttpStatusCode Status, string? MediaType, HttpResponseHeaders Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public override string ToString() => $"{(int)Status} {MediaType}: {Body}";

    /// <summary>Asserts a 200 JSON reply and returns its body.</summary>
    public JsonElement Ok()
    {
        Assert.True(Status == HttpStatusCode.OK, ToString());
        Assert.Equal("application/json", MediaType);
        return Json;
    }

    /// <summary>
    /// Asserts a problem reply (application/problem+json with status, title, detail and code) and returns its detail.
    /// </summary>
    public string Problem(HttpStatusCode status, string code)
    {
        Assert.True(Status == status && MediaType == "application/problem+json", ToString());
        var json = Json;
        Assert.True(json.GetProperty("code").GetString() == code, ToString());
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()), ToString());
        var detail = json.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), ToString());
        return detail!;
    }
}

/// <summary>A real HTTP client of a silo's API (keep-alive, no retries), with an optional tenant key.</summary>
public sealed class ApiClient(Uri address, string? key = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };

    public Task<ApiReply> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<ApiReply> DeleteAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path));

    /// <summary>POST with <paramref name="json"/> as an application/json body (null: no body).</summary>
    public Task<ApiReply> PostAsync(string path, string? json = null) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
        });

    public Task<ApiReply> PostAsync(string path, object body) => PostAsync(path, JsonSerializer.Serialize(body));

    public async Task<ApiReply> SendAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using (request)
        {
            if (key is not null && request.Headers.Authorization is null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            return new ApiReply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers, body);
        }
    }

    public void Dispose() => _http.Dispose();
}
