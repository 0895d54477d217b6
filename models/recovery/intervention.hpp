// The intervention module contract. A module declares its parameters, its daily metrics and
// its per-agent output columns, and fills four hooks:
//
//   start_replicate  a new cohort: reset state (called once per arm and replicate)
//   before_day       write today's effects for the agents it reaches (the declared channels)
//   after_day        read today's events, move queues and links, record the day's metrics
//   agent_columns    the per-agent columns written to the output at the horizon
//
// Each hook is one virtual call per day; inside, a module loops over its own members or over
// the population (in parallel where agents are independent, serially where they interact, so
// results never depend on the thread count). A module changes agents only through the
// EffectColumns channels, and draws random numbers only from its own streams
// (stream_base + k), so arms share the core draws (common random numbers).
#pragma once

#include "population.hpp"

#include "params.hpp"
#include "random.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace recoverysim::recovery {

// Per-agent channels, reset to neutral every day before the modules' before_day.
// Connections and increments add up across modules; multipliers multiply.
struct EffectColumns {
  std::vector<float> support_connections;      // added to g_target
  std::vector<float> craving_increment;        // added to c after the core update
  std::vector<float> self_efficacy_increment;  // added to e
  std::vector<float> skills_increment;         // added to k
  std::vector<float> engagement_increment;     // added to w
  std::vector<float> lapse_multiplier;         // on the lapse hazard
  std::vector<float> stress_lapse_multiplier;  // on the lapse hazard, stress days only
  std::vector<float> relapse_odds_multiplier;  // on the odds that a lapse becomes a relapse
  std::vector<float> dropout_multiplier;       // on the dropout hazard

  void resize(std::size_t n);
  void reset();  // neutral values, in parallel
};

struct ReplicateContext {
  const Parameters& core;
  RandomKey key;
  std::int64_t days = 0;
  std::uint32_t stream_base = 0;  // this module's first stream id
};

struct DayView {
  std::uint32_t day = 0;
  RandomKey key;
  const Population& pop;
  EffectColumns& effects;
  std::span<const std::uint8_t> events;  // today's events (valid in after_day)
};

// A per-agent output column: /arms/<arm>/agents/<module>.<name>, shape [replicates, agents].
struct AgentColumn {
  std::string name;
  std::variant<std::vector<std::int32_t>, std::vector<float>> values;
};

class Intervention {
 public:
  virtual ~Intervention() = default;

  // Parameters, bound to the module's own fields; paths are relative to the module
  // (`mentors`, not `peer_mentor.mentors`).
  virtual void declare(ParamTable& table) = 0;
  // Checks across keys; throws InputError naming where a key was set.
  virtual void validate(const ParamTable&) const {}

  // Names of the daily metrics, in the order after_day writes them. Every module reports
  // `staff_fte` (full-time equivalents working that day) and `cost` (currency units that day).
  virtual std::vector<std::string> metric_names() const = 0;

  virtual void start_replicate(const ReplicateContext& ctx, std::size_t agents) = 0;
  virtual void before_day(DayView& view) = 0;
  virtual void after_day(DayView& view, std::span<double> metrics) = 0;
  virtual std::vector<AgentColumn> agent_columns() const = 0;
};

// Explicit registration of the built-in modules (models/registry.cpp): type name -> factory,
// with the module's own block of random stream ids.
class InterventionRegistry {
 public:
  using Factory = std::unique_ptr<Intervention> (*)();
  template <class Module>
  void add(std::string type, std::uint32_t stream_base) {
    entries_.push_back({std::move(type), stream_base, [] { return std::unique_ptr<Intervention>(new Module()); }});
  }
  std::unique_ptr<Intervention> create(const std::string& type) const;
  std::uint32_t stream_base(const std::string& type) const;
  std::vector<std::string> types() const;
  bool contains(const std::string& type) const;

 private:
  struct Entry {
    std::string type;
    std::uint32_t stream_base;
    Factory factory;
  };
  std::vector<Entry> entries_;
};

// The built-in modules, registered in one place.
const InterventionRegistry& builtin_interventions();

}  // namespace recoverysim::recovery
