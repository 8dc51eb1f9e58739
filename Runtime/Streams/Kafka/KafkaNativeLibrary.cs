using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace ChatCluster.Runtime.Streams.Kafka;

/// <summary>
/// Loads librdkafka, the native Kafka client under Confluent.Kafka, once per process and before the first client is
/// built: first the one the <c>librdkafka.redist</c> package puts next to the application
/// (<c>runtimes/{rid}/native/librdkafka.so</c>, the same version as Confluent.Kafka), else the system's
/// (<c>librdkafka.so.1</c>). If neither loads, the error says so, instead of the client's first call failing with a bare
/// DllNotFoundException.
/// </summary>
/// <remarks>
/// The system library is a fallback for platforms the package has no binary for, and it must be recent: Confluent.Kafka
/// 2.15.1 binds entry points that Debian 12's librdkafka 2.0.2 lacks, so it refuses that one ("Failed to load the
/// librdkafka native library"; and loading by path needs <c>libdl.so</c>, from libc6-dev, too). Tried on this machine.
/// </remarks>
internal static class KafkaNativeLibrary
{
    /// <summary>The system library's name (Debian's <c>librdkafka1</c>, also brought by <c>librdkafka-dev</c>; must be recent enough).</summary>
    public const string SystemLibrary = "librdkafka.so.1";

    private static readonly Lock Gate = new();
    private static bool loaded;

    /// <summary>The version string of the librdkafka in use, once loaded (e.g. <c>2.15.1</c>).</summary>
    public static string Version => EnsureLoaded();

    /// <summary>Loads librdkafka if this process has not yet; returns its version.</summary>
    /// <exception cref="InvalidOperationException">No librdkafka could be loaded; the message says what to install.</exception>
    public static string EnsureLoaded()
    {
        lock (Gate)
        {
            if (!loaded)
            {
                Load();
                loaded = true;
            }
        }

        return Library.VersionString;
    }

    private static void Load()
    {
        if (Library.IsLoaded)
        {
            return;
        }

        Exception packaged;
        try
        {
            Library.Load();
            return;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            packaged = ex;
        }

        try
        {
            Library.Load(SystemLibrary);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"The Kafka stream provider cannot load librdkafka (the native Kafka client) on {RuntimeInformation.RuntimeIdentifier}: "
                + $"not the one of the librdkafka.redist package next to the application ({packaged.Message}), nor the system's {SystemLibrary} ({ex.Message}). "
                + $"Restore and publish the application with its librdkafka.redist package (runtimes/{RuntimeInformation.RuntimeIdentifier}/native), "
                + "or install a librdkafka of the version Confluent.Kafka expects (2.15; Debian 12's librdkafka1 / librdkafka-dev 2.0.2 is too old).",
                ex);
        }
    }
}
