using System.Net;
using System.Net.Http.Headers;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Security;

// One authentication path: the cookie or "Authorization: Bearer", through the same handler. Other headers,
// a second credential, and case or path tricks get nothing.
public sealed class OneAuthPathTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Other_headers_are_ignored_and_a_second_credential_is_no_way_in()
    {
        var owner = await fixture.SignedInAsync();
        var key = (await owner.PostAsync("/api/keys", new { name = "k" }, HttpStatusCode.Created)).Str("key");
        var anonymous = fixture.App.NewClient();

        // A valid key in headers other programs use is not a credential here.
        foreach (var header in new[] { "X-Api-Key", "Api-Key", "X-Auth-Token", "Proxy-Authorization" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
            request.Headers.TryAddWithoutValidation(header, header == "Proxy-Authorization" ? "Bearer " + key : key);
            using var response = await anonymous.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header} was accepted");
        }

        // Two Authorization headers, one of them valid, are refused rather than one being picked.
        using (var twice = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            twice.Headers.TryAddWithoutValidation("Authorization", ["Bearer pk_forged_forged_forged", "Bearer " + key]);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.SendAsync(twice)).StatusCode);
        }

        // A wrong bearer token does not fall back to the (valid) cookie sent with it.
        using (var mixed = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            mixed.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "pk_forged_forged_forged");
            Assert.Equal(HttpStatusCode.Unauthorized, (await owner.Http.SendAsync(mixed)).StatusCode);
        }

        // The scheme is case-insensitive, as HTTP says, and reaches the same user.
        using (var lower = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + key);
            Assert.Equal(owner.UserId, (await ParleyClient.ExpectAsync(await anonymous.Http.SendAsync(lower), HttpStatusCode.OK)).Str("id"));
        }
    }

    [Theory]
    [InlineData("/API/SESSIONS")]
    [InlineData("/Api/Keys")]
    [InlineData("/api//sessions")]
    [InlineData("/api/sessions/")]
    [InlineData("/api/./sessions")]
    [InlineData("/health/../api/sessions")]
    [InlineData("/api/sessions%2F")]
    [InlineData("/V1/models")]
    public async Task Case_and_path_tricks_still_need_credentials(string path)
    {
        var anonymous = fixture.App.NewClient();
        using var response = await anonymous.Http.GetAsync(path);
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound,
            $"{path} answered {(int)response.StatusCode} without credentials");
        Assert.DoesNotContain("\"items\"", await response.Content.ReadAsStringAsync());
    }
}
