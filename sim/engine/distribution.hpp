// Parameter uncertainty: a numeric scenario key may be given as a distribution,
// `{dist: beta, mean: 0.3, sd: 0.05}`, drawn once per replicate (probabilistic sensitivity
// analysis). Draws come from the replicate's Philox key and the key's path, so every arm of a
// replicate gets the same value.
#pragma once

#include "errors.hpp"
#include "random.hpp"

#include <string>
#include <utility>
#include <vector>

namespace YAML {
class Emitter;
class Node;
}  // namespace YAML

namespace recoverysim {

class Distribution {
 public:
  enum class Family { beta, gamma, lognormal, normal, uniform };

  // Reads `{dist: <family>, <parameters>}`. Accepted parameters, one set per family:
  //   beta       alpha, beta      | mean, sd
  //   gamma      shape, scale     | mean, sd
  //   lognormal  meanlog, sdlog   | mean, sd   (of the variable itself)
  //   normal     mean, sd
  //   uniform    min, max
  // `key` names the parameter in messages. Throws InputError at the offending node.
  static Distribution parse(const YAML::Node& node, const std::string& file, const std::string& key);
  // The same from flow-map text, for --set key={dist: ...}.
  static Distribution parse_text(const std::string& text, const SourceLocation& where, const std::string& key);

  Family family() const { return family_; }
  double mean() const;
  // Smallest and largest values a draw can take (+-infinity when unbounded).
  double support_min() const;
  double support_max() const;
  double draw(DrawSequence& uniforms) const;
  // The log of the density at x, up to nothing (normalised); -infinity outside the support.
  double log_density(double x) const;

  // "beta(mean=0.3, sd=0.05)"
  std::string describe() const;
  // The mapping as written, in flow style, for the resolved scenario.
  void emit(YAML::Emitter& out) const;

 private:
  Family family_ = Family::normal;
  double p1_ = 0.0;  // native parameters: alpha/beta, shape/scale, meanlog/sdlog, mean/sd, min/max
  double p2_ = 0.0;
  std::vector<std::pair<std::string, double>> written_;  // the parameters as the user gave them
};

// The draw of one replicate for the parameter at `path` (the same path in every arm, e.g.
// `peer_mentor.mentor_effect` for a module key, so arms share the value).
double draw_parameter(const Distribution& dist, RandomKey key, const std::string& path);

}  // namespace recoverysim
