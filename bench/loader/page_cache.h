#pragma once
// Page-cache control for cold reads: flush a store's shards and ask the kernel to drop their cached pages
// (posix_fadvise DONTNEED, no root needed), and measure how much of them is still resident (mincore).
#include <filesystem>
#include <vector>

namespace efm::bench {

/// The shard files (*.h5) of a store directory.
std::vector<std::filesystem::path> shard_files(const std::filesystem::path& store);
/// fdatasync + POSIX_FADV_DONTNEED on every shard. Pages mapped by a live process stay cached: call it with no
/// StoreReader of the store alive.
void evict(const std::filesystem::path& store);
/// Share of the shards' pages in the page cache, in [0, 1].
double resident_fraction(const std::filesystem::path& store);

}  // namespace efm::bench
