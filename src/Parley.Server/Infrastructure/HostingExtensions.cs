using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;

namespace Parley.Server.Infrastructure;

internal static class HostingExtensions
{
    public const string DefaultUrl = "http://localhost:5080";

    public const int MaxJsonDepth = 32;

    // Configuration is read once, at start. Watching appsettings*.json for changes watches the whole content root,
    // subfolders included, and the default database (data/parley.db) lives under it: every SQLite write woke the
    // watcher, about 8% of the server's CPU at 100 replies (perf).
    public static string[] WithoutConfigurationWatching(string[] args) => [.. args, "--hostBuilder:reloadConfigOnChange=false"];

    public static WebApplicationBuilder UseParleyHosting(this WebApplicationBuilder builder)
    {
        // SPEC §1: http://localhost:5080 unless --urls or ASPNETCORE_URLS says otherwise.
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])) builder.WebHost.UseUrls(DefaultUrl);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = ErrorHandling.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            o.SerializerOptions.AllowTrailingCommas = false;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            // No request body of Parley's nests deeper than a few levels; a deeper one is refused before it costs.
            o.SerializerOptions.MaxDepth = MaxJsonDepth;
            o.SerializerOptions.Converters.Add(new StoredText.Converter());
        });
        // Secrets are masked in every log entry, whatever provider writes it (SPEC §10).
        Logging.RedactingLoggerFactory.Register(builder.Services);
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ParleyMetrics>();
        return builder;
    }
}
