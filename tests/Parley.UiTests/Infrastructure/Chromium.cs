using System.Diagnostics;

namespace Parley.UiTests.Infrastructure;

// Playwright cannot download its own browsers here, so the tests drive Debian's Chromium. When it is missing
// and the tests run as root (CI), it is installed with apt; otherwise the tests fail saying how to install it.
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath)) return;
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(ExecutablePath)) return;
            if (Environment.UserName != "root")
            {
                throw new InvalidOperationException(
                    $"The browser tests need Debian's Chromium at {ExecutablePath}. Install it with: sudo apt-get install -y chromium");
            }
            var install = await RunAsync("apt-get", "install -y chromium");
            if (install.ExitCode != 0)
            {
                // A fresh machine may have no package lists yet.
                await RunAsync("apt-get", "update");
                install = await RunAsync("apt-get", "install -y chromium");
            }
            if (install.ExitCode != 0 || !File.Exists(ExecutablePath))
            {
                throw new InvalidOperationException($"Installing Chromium with 'apt-get install -y chromium' failed:\n{install.Output}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
