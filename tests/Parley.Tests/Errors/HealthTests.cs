using System.Net;
using Parley.Tests.Auth;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Errors;

public sealed class HealthTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Live_answers_200_without_credentials()
    {
        using var http = RawHttp.Client(fixture.App);

        var live = await ParleyClient.ExpectAsync(await http.GetAsync("/health/live"), HttpStatusCode.OK);

        Assert.Equal("live", live.Str("status"));
    }

    [Fact]
    public async Task Ready_answers_200_without_credentials_and_reports_the_applied_schema_version()
    {
        using var http = RawHttp.Client(fixture.App);

        var ready = await ParleyClient.ExpectAsync(await http.GetAsync("/health/ready"), HttpStatusCode.OK);

        Assert.Equal("ready", ready.Str("status"));
        var applied = DatabaseFile.Query(fixture.App.DatabasePath, "SELECT MAX(version) FROM schema_migrations")[0][0];
        Assert.Equal(Convert.ToInt32(applied, System.Globalization.CultureInfo.InvariantCulture), ready.GetProperty("schemaVersion").GetInt32());
        Assert.True(ready.GetProperty("schemaVersion").GetInt32() >= 1);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_ignores_a_bad_credential(string url)
    {
        // A probe with a stale key or cookie must still see the node's health, not a 401.
        using var http = RawHttp.Client(fixture.App, bearer: "pk_stale");
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", $"{RawHttp.CookieName}=expired");

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
