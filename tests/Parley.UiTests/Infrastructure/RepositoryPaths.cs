namespace Parley.UiTests.Infrastructure;

public static class RepositoryPaths
{
    // The folder holding Parley.slnx, found by walking up from the test binaries.
    public static string Root { get; } = FindRoot();

    public static string WebSource => Path.Combine(Root, "src", "Parley.Web");

    // A fixed, git-ignored folder that .ci/run prints, so a reviewer finds the pictures of the last run.
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(Root, "artifacts", "screenshots")).FullName;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) return dir.FullName;
        }
        // Built with --artifacts-path outside the repository: the source folder is known at compile time.
        return Path.GetFullPath(Path.Combine(ThisFolder(), "..", "..", ".."));
    }

    private static string ThisFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
