// Parameter sets from a calibration's posterior (the fit.h5 of `recoverysim calibrate`): each
// replicate of a run takes one set, the same in every arm, so that every comparison, curve and
// recommendation carries the calibration's uncertainty as drawn parameters do. The sets become
// part of the scenario (`parameter_sets:` in its resolved YAML), so that the copy stored in a
// results file is self-contained, and --resume, merge, shards and MPI ranks agree on them.
#pragma once

#include "errors.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace recoverysim {

struct ParameterSets {
  std::string source;                     // the fit file as it was named when the sets were read ("": not known)
  std::string name;                       // the calibration's name
  std::vector<std::string> paths;         // a core key, or <module type>.<key> (that key in every arm with the module)
  std::vector<std::vector<double>> sets;  // sets[m][p]: posterior sample m (samples repeat), path p
  SourceLocation where;                   // the fit file, or the scenario's `parameter_sets` section

  // How the results file describes the calibrated paths' distribution.
  std::string describe() const;
  // "fit.h5", or "the parameter_sets of scenario.yaml" when the source is not known: for messages.
  std::string origin() const;
};

// Reads the posterior of a calibration file: /parameters (attribute `names`, datasets min and
// max) and /posterior/parameters ([M, P] doubles). Throws InputError naming the file and the
// object for a file that is missing, not a calibration, of another version, of the wrong shapes
// or with values that are not finite.
ParameterSets read_parameter_sets(const std::string& fit_path);

// The `parameter_sets` section of a scenario: {source, name, paths: [...], sets: [[...], ...]},
// checked strictly (keys, lists of equal length, finite numbers). Throws InputError at the node.
ParameterSets parse_parameter_sets(const YAML::Node& node, const std::string& file);

// The section's value (a mapping), the numbers in their shortest round-trip form so that they
// read back bit-identical. Without `source` for the identity of a run: the same sets read from a
// copy of the fit elsewhere make the same run.
void emit_parameter_sets(YAML::Emitter& out, const ParameterSets& sets, bool with_source);

// The set replicate `replicate` of a run with seed `seed` takes, of `count`: floor(u * count), u
// the first output of philox_block({seed, replicate}, name_counter("parameter-sets"), 0,
// Stream::parameter_sets, 0) on the open unit interval. The same on every thread, rank and shard.
std::size_t parameter_set_of_replicate(std::int64_t seed, std::int64_t replicate, std::size_t count);

}  // namespace recoverysim
