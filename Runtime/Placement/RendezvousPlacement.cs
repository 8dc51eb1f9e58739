using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Placement;

/// <summary>
/// Chooses the silo that owns a grain by rendezvous (highest-random-weight) hashing of the grain id over
/// the active silos of one membership view: every silo scores every grain, the highest score owns it.
/// No directory and no look-up: any process with the same view computes the same owner. When a silo
/// joins it takes about 1/N of the grains, all from the others; when one leaves only its grains move.
/// The score uses the silo's endpoint, not its epoch, so a silo that restarts on the same endpoint gets
/// its grains back. Build one per view; <see cref="OwnerOf"/> is thread-safe.
/// </summary>
public sealed class RendezvousPlacement
{
    private readonly SiloAddress[] silos;
    private readonly ulong[] siloHashes;

    /// <param name="activeSilos">The silos that may own grains (a view's <see cref="MembershipView.ActiveSilos"/>).</param>
    public RendezvousPlacement(IEnumerable<SiloAddress> activeSilos)
    {
        ArgumentNullException.ThrowIfNull(activeSilos);
        silos = [.. activeSilos];
        siloHashes = [.. silos.Select(silo => StableHash(silo.Endpoint))];
    }

    /// <summary>The silos this placement spreads grains over.</summary>
    public IReadOnlyList<SiloAddress> Silos => silos;

    /// <summary>The owner of <paramref name="grain"/>; null when there is no active silo.</summary>
    public SiloAddress? OwnerOf(GrainId grain)
    {
        if (silos.Length == 0)
        {
            return null;
        }

        var grainHash = StableHash(grain.Type) ^ Mix(StableHash(grain.Key));
        var best = 0;
        var bestScore = Mix(grainHash ^ siloHashes[0]);
        for (var i = 1; i < silos.Length; i++)
        {
            var score = Mix(grainHash ^ siloHashes[i]);
            if (score > bestScore)
            {
                (best, bestScore) = (i, score);
            }
        }

        return silos[best];
    }

    /// <summary>64-bit FNV-1a over the string's UTF-16 code units: the same in every process (unlike string.GetHashCode).</summary>
    internal static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The SplitMix64 finalizer: spreads every input bit over the whole score.</summary>
    internal static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
