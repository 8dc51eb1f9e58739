namespace ChatCluster.Storage; internal static class Placeholder { }
