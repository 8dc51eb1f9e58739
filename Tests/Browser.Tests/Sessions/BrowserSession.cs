using ChatCluster.Browser.Tests.Browsers;
using ChatCluster.Browser.Tests.Pages;
using ChatCluster.Testing.Processes;
using Microsoft.Playwright;

namespace ChatCluster.Browser.Tests.Sessions;

/// <summary>
/// What one browser test needs: the real silo as a separate process on a free loopback port, and
/// headless Chromium, in which every person gets their own browser context (cookies and storage
/// apart, as on two machines). Disposing closes the browser and stops the silo.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly List<IBrowserContext> contexts = [];

    private BrowserSession(SiloProcess silo, IPlaywright playwright, IBrowser browser)
    {
        Silo = silo;
        Playwright = playwright;
        Browser = browser;
    }

    public SiloProcess Silo { get; }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    /// <summary>Starts the silo, waits until it is healthy, and launches Chromium.</summary>
    public static async Task<BrowserSession> StartAsync()
    {
        DebianChromium.AssertInstalled(); // before anything is started
        var silo = SiloProcess.Start();
        IPlaywright? playwright = null;
        try
        {
            await silo.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            var browser = await DebianChromium.LaunchAsync(playwright);
            return new BrowserSession(silo, playwright, browser);
        }
        catch
        {
            playwright?.Dispose();
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new page in a browser context of its own, for <paramref name="user"/> (not signed in yet).</summary>
    public async Task<ChatPage> NewPersonAsync(string user)
    {
        var context = await Browser.NewContextAsync();
        contexts.Add(context);
        return new ChatPage(await context.NewPageAsync(), user);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }

            await Browser.DisposeAsync();
            Playwright.Dispose();
        }
        finally
        {
            await Silo.DisposeAsync();
        }
    }
}
