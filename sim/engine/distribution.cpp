// Distributions of uncertain parameters: parsing with located errors, moments, draws.
#include "distribution.hpp"

#include "params.hpp"
#include "portable_math.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace recoverysim {

namespace {

struct FamilyInfo {
  Distribution::Family family;
  const char* name;
  std::vector<std::vector<std::string>> parameter_sets;  // accepted sets, the native one first
};

const std::vector<FamilyInfo>& families() {
  using F = Distribution::Family;
  static const std::vector<FamilyInfo> list = {
      {F::beta, "beta", {{"alpha", "beta"}, {"mean", "sd"}}},
      {F::gamma, "gamma", {{"shape", "scale"}, {"mean", "sd"}}},
      {F::lognormal, "lognormal", {{"meanlog", "sdlog"}, {"mean", "sd"}}},
      {F::normal, "normal", {{"mean", "sd"}}},
      {F::uniform, "uniform", {{"min", "max"}}},
  };
  return list;
}

const FamilyInfo& info(Distribution::Family f) {
  for (const auto& i : families())
    if (i.family == f) return i;
  return families().front();
}

std::string set_text(const std::vector<std::string>& set) { return set[0] + " and " + set[1]; }

std::string number_text(double x) { return format_value(x); }

SourceLocation at(const std::string& file, const YAML::Node& node) {
  if (node.Mark().is_null()) return {file, 0, 0};
  return {file, node.Mark().line + 1, node.Mark().column + 1};
}

}  // namespace

Distribution Distribution::parse(const YAML::Node& node, const std::string& file, const std::string& key) {
  const auto fail = [&](const YAML::Node& where, const std::string& what) {
    throw InputError(at(file, where), key + ": " + what);
  };
  std::vector<std::string> names;
  for (const auto& f : families()) names.push_back(f.name);
  if (!node.IsMap()) fail(node, "expected a number or a distribution {dist: " + join_names(names) + ", ...}");
  const YAML::Node dist = node["dist"];
  if (!dist || !dist.IsScalar()) fail(node, "a distribution needs `dist:` (one of " + join_names(names) + ")");
  const FamilyInfo* family = nullptr;
  for (const auto& f : families())
    if (dist.Scalar() == f.name) family = &f;
  if (!family) {
    const std::string hint = closest_match(dist.Scalar(), names);
    fail(dist, "unknown distribution '" + dist.Scalar() + "'" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; expected one of " + join_names(names));
  }

  Distribution d;
  d.family_ = family->family;
  std::vector<std::string> given;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (name == "dist") continue;
    for (const auto& g : given)
      if (g == name) fail(entry.first, "duplicate key '" + name + "' in the distribution");
    bool known = false;
    for (const auto& set : family->parameter_sets)
      for (const auto& p : set) known = known || p == name;
    if (!known) {
      std::string sets;
      for (const auto& set : family->parameter_sets) sets += (sets.empty() ? "" : " or ") + set_text(set);
      fail(entry.first, "unknown parameter '" + name + "' of a " + family->name + " distribution; expected " + sets);
    }
    double x = 0.0;
    const std::string& text = entry.second.IsScalar() ? entry.second.Scalar() : std::string();
    const auto r = std::from_chars(text.data(), text.data() + text.size(), x);
    if (!entry.second.IsScalar() || r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(x))
      fail(entry.second,
           name + ": expected a finite number, got " +
               (entry.second.IsScalar() ? "'" + text + "'"
                                        : std::string("a ") + (entry.second.IsMap() ? "mapping" : "list")));
    given.push_back(name);
    d.written_.emplace_back(name, x);
  }
  const std::vector<std::string>* chosen = nullptr;
  for (const auto& set : family->parameter_sets) {
    bool all = given.size() == set.size();
    for (const auto& p : set) all = all && std::find(given.begin(), given.end(), p) != given.end();
    if (all) chosen = &set;
  }
  if (!chosen) {
    std::string sets;
    for (const auto& set : family->parameter_sets) sets += (sets.empty() ? "" : " or ") + set_text(set);
    fail(node, std::string("a ") + family->name + " distribution needs " + sets);
  }
  const auto value = [&](const std::string& name) {
    for (const auto& [n, x] : d.written_)
      if (n == name) return x;
    return 0.0;
  };
  const bool moments = (*chosen)[0] == "mean" && d.family_ != Family::normal;
  const double m = value("mean");
  const double sd = value("sd");
  if (((*chosen)[1] == "sd" || (*chosen)[1] == "sdlog") && value((*chosen)[1]) <= 0.0)
    fail(node, (*chosen)[1] + ": expected a positive number");
  switch (d.family_) {
    case Family::beta:
      if (moments) {
        if (m <= 0.0 || m >= 1.0) fail(node, "mean: a beta distribution's mean must lie strictly between 0 and 1");
        const double k = m * (1.0 - m) / (sd * sd) - 1.0;
        if (k <= 0.0)
          fail(node, "sd: too large for a beta distribution with mean " + number_text(m) +
                         " (sd must be below sqrt(mean (1 - mean)) = " + number_text(std::sqrt(m * (1.0 - m))) + ")");
        d.p1_ = m * k;
        d.p2_ = (1.0 - m) * k;
      } else {
        d.p1_ = value("alpha");
        d.p2_ = value("beta");
        if (d.p1_ <= 0.0 || d.p2_ <= 0.0) fail(node, "alpha and beta must be positive");
      }
      break;
    case Family::gamma:
      if (moments) {
        if (m <= 0.0) fail(node, "mean: a gamma distribution's mean must be positive");
        d.p1_ = m * m / (sd * sd);
        d.p2_ = sd * sd / m;
      } else {
        d.p1_ = value("shape");
        d.p2_ = value("scale");
        if (d.p1_ <= 0.0 || d.p2_ <= 0.0) fail(node, "shape and scale must be positive");
      }
      break;
    case Family::lognormal:
      if (moments) {
        if (m <= 0.0) fail(node, "mean: a lognormal distribution's mean must be positive");
        const double s2 = portable::log1p(sd * sd / (m * m));
        d.p1_ = portable::log(m) - 0.5 * s2;
        d.p2_ = std::sqrt(s2);
      } else {
        d.p1_ = value("meanlog");
        d.p2_ = value("sdlog");
      }
      break;
    case Family::normal:
      d.p1_ = m;
      d.p2_ = sd;
      break;
    case Family::uniform:
      d.p1_ = value("min");
      d.p2_ = value("max");
      if (!(d.p1_ < d.p2_)) fail(node, "min must be less than max");
      break;
  }
  return d;
}

Distribution Distribution::parse_text(const std::string& text, const SourceLocation& where, const std::string& key) {
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(where, key + ": cannot read the distribution: " + e.msg);
  }
  try {
    return parse(node, "", key);
  } catch (const InputError& e) {
    throw InputError(where, e.what());
  }
}

double Distribution::log_density(double x) const {
  constexpr double log_sqrt_2pi = 0.9189385332046728;
  const double inf = std::numeric_limits<double>::infinity();
  switch (family_) {
    case Family::beta:
      if (x <= 0.0 || x >= 1.0) return -inf;
      return (p1_ - 1.0) * std::log(x) + (p2_ - 1.0) * std::log1p(-x) + std::lgamma(p1_ + p2_) - std::lgamma(p1_) -
             std::lgamma(p2_);
    case Family::gamma:
      if (x <= 0.0) return -inf;
      return (p1_ - 1.0) * std::log(x) - x / p2_ - std::lgamma(p1_) - p1_ * std::log(p2_);
    case Family::lognormal: {
      if (x <= 0.0) return -inf;
      const double z = (std::log(x) - p1_) / p2_;
      return -0.5 * z * z - std::log(p2_ * x) - log_sqrt_2pi;
    }
    case Family::normal: {
      const double z = (x - p1_) / p2_;
      return -0.5 * z * z - std::log(p2_) - log_sqrt_2pi;
    }
    case Family::uniform: return x < p1_ || x > p2_ ? -inf : -std::log(p2_ - p1_);
  }
  return -inf;
}

double Distribution::mean() const {
  switch (family_) {
    case Family::beta: return p1_ / (p1_ + p2_);
    case Family::gamma: return p1_ * p2_;
    case Family::lognormal: return portable::exp(p1_ + 0.5 * p2_ * p2_);
    case Family::normal: return p1_;
    case Family::uniform: return 0.5 * (p1_ + p2_);
  }
  return 0.0;
}

double Distribution::support_min() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (family_) {
    case Family::beta:
    case Family::gamma:
    case Family::lognormal: return 0.0;
    case Family::normal: return -inf;
    case Family::uniform: return p1_;
  }
  return -inf;
}

double Distribution::support_max() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (family_) {
    case Family::beta: return 1.0;
    case Family::uniform: return p2_;
    default: return inf;
  }
}

double Distribution::draw(DrawSequence& u) const {
  switch (family_) {
    case Family::beta: return u.next_beta(p1_, p2_);
    case Family::gamma: return u.next_gamma(p1_) * p2_;
    case Family::lognormal: return portable::exp(p1_ + p2_ * u.next_normal());
    case Family::normal: return p1_ + p2_ * u.next_normal();
    case Family::uniform: return p1_ + (p2_ - p1_) * u.next_open_unit();
  }
  return 0.0;
}

std::string Distribution::describe() const {
  std::string s = std::string(info(family_).name) + "(";
  for (std::size_t i = 0; i < written_.size(); ++i)
    s += (i ? ", " : "") + written_[i].first + "=" + number_text(written_[i].second);
  return s + ")";
}

void Distribution::emit(YAML::Emitter& out) const {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "dist" << YAML::Value << info(family_).name;
  for (const auto& [name, x] : written_) out << YAML::Key << name << YAML::Value << number_text(x);
  out << YAML::EndMap;
}

double draw_parameter(const Distribution& dist, RandomKey key, const std::string& path) {
  DrawSequence uniforms(key, name_counter(path), 0, static_cast<std::uint32_t>(Stream::parameter_draws));
  return dist.draw(uniforms);
}

}  // namespace recoverysim
