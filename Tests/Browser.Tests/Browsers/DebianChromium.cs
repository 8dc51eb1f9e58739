using Microsoft.Playwright;

namespace ChatCluster.Browser.Tests.Browsers;

/// <summary>
/// Launches Debian's <c>chromium</c> package through Playwright. Playwright's own browser downloads
/// are never used (nor is <c>playwright install</c> run): the network here is closed.
/// </summary>
public static class DebianChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    // Without the background-networking flags Chromium keeps trying to reach Google's services,
    // which the closed network refuses; the sandbox does not work for root in a container.
    private static readonly string[] Arguments =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    /// <summary>Fails the test, saying what to do, when Debian's chromium package is not installed.</summary>
    public static void AssertInstalled() =>
        Assert.True(
            File.Exists(ExecutablePath),
            $"{ExecutablePath} is missing: the browser tests need Debian's chromium package. Run infra/install-deps.sh (as root) to install it.");

    /// <summary>Starts headless Chromium; fails with what to do when the package is not installed.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        ArgumentNullException.ThrowIfNull(playwright);
        AssertInstalled();
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });
    }
}
