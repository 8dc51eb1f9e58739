// Each browser test starts a silo and a Chromium of its own; on a small machine two at once only
// make each other slow, so this assembly runs its tests one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
