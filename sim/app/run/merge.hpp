// Merging the parts of a sharded run (`run --shard I/N`) into the results file a single run
// would have written.
#pragma once

#include "runner.hpp"

#include <string>
#include <vector>

namespace recoverysim {

// Checks that `parts` are every shard of one run (same scenario, seed and version; each shard
// once; each holding exactly its shard's tasks), then writes `output_path`. Throws InputError
// naming the part at fault.
RunResult merge_parts(const std::vector<std::string>& parts, const std::string& output_path);

}  // namespace recoverysim
