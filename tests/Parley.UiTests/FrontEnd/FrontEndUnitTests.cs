using System.Diagnostics;
using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.FrontEnd;

// The front end's own unit tests (stream parsing, resume bookkeeping, markdown sanitising) run under node's
// test runner; running them from here makes `dotnet test` the one command that runs every test.
public sealed class FrontEndUnitTests
{
    [Fact]
    public async Task Npm_test_passes()
    {
        // The server's build (a dependency of this project) already ran npm ci, so node_modules is in place.
        var start = new ProcessStartInfo("npm", "test")
        {
            WorkingDirectory = RepositoryPaths.WebSource,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"npm test failed with exit code {process.ExitCode}:\n{output}");
        Assert.Contains("# fail 0", output);
    }
}
