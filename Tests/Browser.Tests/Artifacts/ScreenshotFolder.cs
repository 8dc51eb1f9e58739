using ChatCluster.Browser.Tests.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ChatCluster.Browser.Tests.Artifacts;

/// <summary>
/// Where a browser test keeps its screenshots: <c>TestResults/screenshots/</c> under the repository
/// root (the folder holding ChatCluster.sln), as <c>{scenario}_{moment}_{person}.png</c>. Every saved
/// path is written to the test output.
/// </summary>
public sealed class ScreenshotFolder
{
    private readonly string scenario;
    private readonly ITestOutputHelper output;

    private ScreenshotFolder(string path, string scenario, ITestOutputHelper output)
    {
        Path = path;
        this.scenario = scenario;
        this.output = output;
    }

    public string Path { get; }

    /// <summary>The screenshot folder of this checkout, created if needed, without earlier screenshots of <paramref name="scenario"/>.</summary>
    public static ScreenshotFolder ForScenario(string scenario, ITestOutputHelper output)
    {
        var path = System.IO.Path.Combine(FindRepositoryRoot(), "TestResults", "screenshots");
        Directory.CreateDirectory(path);
        foreach (var file in Directory.EnumerateFiles(path, scenario + "_*.png"))
        {
            File.Delete(file); // so that no earlier run's picture is taken for this run's
        }

        return new ScreenshotFolder(path, scenario, output);
    }

    /// <summary>Saves a full-page PNG of each of <paramref name="people"/>'s pages at <paramref name="moment"/>.</summary>
    public async Task SaveAsync(string moment, params ChatPage[] people)
    {
        ArgumentNullException.ThrowIfNull(people);
        foreach (var person in people)
        {
            var file = System.IO.Path.Combine(Path, $"{scenario}_{moment}_{person.Name}.png");
            await person.Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Timeout = 15_000 });
            output.WriteLine($"screenshot: {file}");
        }
    }

    /// <summary>As <see cref="SaveAsync"/>, for a test that already failed: a page that cannot be pictured any more is only noted.</summary>
    public async Task TrySaveAsync(string moment, params ChatPage[] people)
    {
        try
        {
            await SaveAsync(moment, people);
        }
        catch (PlaywrightException e)
        {
            output.WriteLine($"no {moment} screenshot: {e.Message}");
        }
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
