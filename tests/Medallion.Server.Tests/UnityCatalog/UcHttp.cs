using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>Requests to a served project's Unity Catalog API whose answers must be JSON.</summary>
internal static class UcHttp
{
    /// <summary>POSTs <paramref name="body"/> as <c>application/json</c> to <paramref name="path"/>: the status and the answer, which must be JSON.</summary>
    public static async Task<(int Status, JsonElement Body)> PostAsync(ServedProject served, string path, string body, AuthenticationHeaderValue? who)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json"), Headers = { Authorization = who } };
        using HttpResponseMessage response = await served.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"POST {path} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType}: {text}");
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }
}
