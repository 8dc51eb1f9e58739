using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ChatCluster.Browser.Tests.Artifacts;

/// <summary>
/// Where the browser tests keep their screenshots: <c>TestResults/screenshots/</c> under the
/// repository root (the folder holding ChatCluster.sln), so they outlive the test's output folder.
/// Every saved path is written to the test output.
/// </summary>
public sealed class ScreenshotFolder(string path, ITestOutputHelper output)
{
    public string Path { get; } = path;

    /// <summary>The screenshot folder of this checkout, created if needed.</summary>
    public static ScreenshotFolder Create(ITestOutputHelper output)
    {
        var path = System.IO.Path.Combine(FindRepositoryRoot(), "TestResults", "screenshots");
        Directory.CreateDirectory(path);
        return new ScreenshotFolder(path, output);
    }

    /// <summary>Deletes the screenshots of an earlier run of <paramref name="scenario"/>, so that none is mistaken for this run's.</summary>
    public void DeleteEarlier(string scenario)
    {
        foreach (var file in Directory.EnumerateFiles(Path, scenario + "_*.png"))
        {
            File.Delete(file);
        }
    }

    /// <summary>Saves a full-page PNG of <paramref name="page"/> as <c>{name}.png</c> and prints its path.</summary>
    public async Task SaveAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var file = System.IO.Path.Combine(Path, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Timeout = 15_000 });
        output.WriteLine($"screenshot: {file}");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ChatCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ChatCluster.sln above {AppContext.BaseDirectory}.");
    }
}
