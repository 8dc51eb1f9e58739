// Each test runs its own Orleans cluster; two at once on a 2-core machine only slow each other down.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
