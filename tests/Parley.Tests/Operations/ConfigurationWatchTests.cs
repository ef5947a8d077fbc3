using Microsoft.Extensions.Configuration;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Operations;

public sealed class ConfigurationWatchTests
{
    // A configuration file watched for changes puts a recursive file watcher on the whole content root, and the
    // default SQLite database lives under it: every write would wake the watcher. Configuration is read at start.
    [Fact]
    public async Task No_configuration_file_is_watched_for_changes()
    {
        await using var app = new ParleyApp();
        app.StartServer();

        var files = ((IConfigurationRoot)app.Service<IConfiguration>()).Providers.OfType<FileConfigurationProvider>().ToList();

        Assert.Contains(files, f => f.Source.Path == "appsettings.json");
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched for changes"));
    }
}
