using System.Diagnostics;

namespace Parley.UiTests.Infrastructure;

// Playwright cannot download its own browsers here, so the tests drive Debian's Chromium, with a CJK font so the
// Chinese screenshots show characters. When either is missing and the tests run as root (CI), it is installed
// with apt; otherwise the tests fail saying how to install it.
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private const string CjkFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
    private const string Packages = "chromium fonts-wqy-microhei";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        if (Installed()) return;
        await InstallLock.WaitAsync();
        try
        {
            if (Installed()) return;
            if (Environment.UserName != "root")
            {
                if (File.Exists(ExecutablePath)) return; // Only the font is missing: Chinese shows as boxes, nothing fails.
                throw new InvalidOperationException(
                    $"The browser tests need Debian's Chromium at {ExecutablePath}. Install it with: sudo apt-get install -y {Packages}");
            }
            var install = await RunAsync("apt-get", $"install -y {Packages}");
            if (install.ExitCode != 0)
            {
                // A fresh machine may have no package lists yet.
                await RunAsync("apt-get", "update");
                install = await RunAsync("apt-get", $"install -y {Packages}");
            }
            if (install.ExitCode != 0 || !File.Exists(ExecutablePath))
            {
                throw new InvalidOperationException($"Installing Chromium with 'apt-get install -y {Packages}' failed:\n{install.Output}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static bool Installed() => File.Exists(ExecutablePath) && File.Exists(CjkFont);

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
