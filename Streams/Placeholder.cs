namespace ChatCluster.Streams; internal static class Placeholder { }
