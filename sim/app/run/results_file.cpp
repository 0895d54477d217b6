// Writing the results layout (format_version 5). Datasets are created with their full shape
// at the start of an arm and filled one replicate at a time; the event record grows instead.
#include "results_file.hpp"

#include "build_info.hpp"
#include "errors.hpp"
#include "safe_files.hpp"
#include "version.hpp"

#include "outcome_file.hpp"

#include "models/recovery/outcomes.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <type_traits>
#include <variant>

namespace recoverysim {

using recovery::Population;

namespace {

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

template <std::size_t N>
std::vector<std::string> labels(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

hsize_t u(std::int64_t x) { return static_cast<hsize_t>(x); }

}  // namespace

struct ResultsFile::ArmDatasets {
  h5::Group group;
  h5::Dataset state_counts;
  h5::Dataset treatment_counts;
  h5::Dataset treatment_cost;
  std::map<std::string, h5::Dataset> agents;
  std::vector<std::string> outcome_names;
  std::vector<h5::Dataset> outcomes;
  h5::Dataset trajectories;
  // Per-replicate outcomes and counts are many small rows: they are kept here and written
  // whole at commit (one write per dataset rather than one per replicate).
  std::vector<std::vector<double>> outcome_rows;  // [outcome][replicate]
  struct Table {
    h5::Dataset event_table;                           // cumulative incidence only
    h5::Dataset counts;                                // absent for a contrast
    std::vector<std::int64_t> event_rows, count_rows;  // the datasets' contents, once written
  };
  std::vector<Table> tables;  // per definition of the plan
  bool rows_written = false;
  struct Events {
    h5::Dataset replicate, agent, day, code, detail;
  };
  std::unique_ptr<Events> events;
  struct Module {
    std::string type;
    h5::Group group;
    std::vector<h5::Dataset> metrics;
    std::map<std::string, h5::Dataset> agent_columns;  // created at the first write
  };
  std::vector<Module> modules;
};

ResultsFile::ResultsFile(std::string final_path, ResultsHeader header)
    : final_path_(std::move(final_path)), partial_path_(final_path_ + ".partial"), header_(std::move(header)) {
  const auto parent = std::filesystem::path(final_path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  make_way_for_file(partial_path_, final_path_);
  file_ = h5::File::create(partial_path_);
  auto& root = file_.root();
  root.set_attribute("format", std::string("recoverysim"));
  root.set_attribute("format_version", format_version);
  root.set_attribute("software_version", std::string(software_version));
  root.set_attribute("build", build_fingerprint());
  root.set_attribute("scenario_name", header_.scenario_name);
  root.set_attribute("scenario_yaml", header_.scenario_yaml);
  root.set_attribute("seed", header_.seed);
  root.set_attribute("created_utc", utc_now());
}

ResultsFile::~ResultsFile() {
  if (!committed_) {
    arms_.clear();
    try {
      file_.close();
    } catch (...) {
    }
    std::remove(partial_path_.c_str());
  }
}

namespace {

// Every dataset says what it holds: its unit and a description (docs/output.md has the layout).
void document(h5::Dataset& d, const std::string& unit, const std::string& description) {
  d.set_attribute("units", unit);
  d.set_attribute("description", description);
}

// The core's per-agent columns: (name, unit, description).
struct AgentField {
  const char* name;
  const char* unit;
  const char* description;
};
constexpr AgentField core_agent_fields[] = {
    {"admission_day", "day", "day of the first admission (0 in a closed cohort)"},
    {"substance", "category", "primary substance: an index into the labels attribute"},
    {"severity", "score (0 to 1)", "severity of the disorder at admission"},
    {"mental_health", "flag", "1 with a co-occurring mental health condition, else 0"},
    {"baseline_support", "score (0 to 1)", "social support at admission"},
    {"baseline_engagement", "score (0 to 1)", "engagement with treatment at admission"},
    {"age_years", "years", "age at admission; on day t the age is age_years + (t - admission_day) / 365.25"},
    {"sex", "category", "sex: an index into the labels attribute (female, male)"},
    {"first_lapse_day", "day", "day of the first lapse; -1 if none within the horizon"},
    {"first_relapse_day", "day", "day of the first relapse; -1 if none within the horizon"},
    {"first_episode_outcome", "category", "how the first treatment episode ended: an index into the labels attribute"},
    {"first_episode_days", "days", "length of the first treatment episode (to the horizon if ongoing)"},
    {"readmissions", "admissions", "readmissions to treatment within the horizon"},
    {"setting", "category", "treatment setting of the last episode begun within the horizon: an index into the labels"},
    {"death_day", "day", "day of death; -1 if alive at the horizon"},
    {"death_cause", "category", "cause of death: an index into the labels attribute (none if alive at the horizon)"},
    {"abstinent_days", "days", "days alive and abstinent after admission, within the horizon"},
};

const AgentField& core_agent_field(const std::string& name) {
  for (const auto& f : core_agent_fields)
    if (name == f.name) return f;
  throw std::logic_error("no description of agent column " + name);
}

}  // namespace

std::vector<std::string> core_agent_column_names() {
  std::vector<std::string> names;
  for (const auto& f : core_agent_fields) names.emplace_back(f.name);
  return names;
}

std::size_t ResultsFile::add_arm(const ArmInfo& arm, const std::vector<ModuleOutput>& modules) {
  auto a = std::make_unique<ArmDatasets>();
  a->group = file_.root().create_group("arms/" + arm.name);
  a->group.set_attribute("sweep_base", arm.sweep_base);
  if (!arm.sweep_point.empty()) {
    std::vector<std::string> paths, values;
    for (const auto& [path, value] : arm.sweep_point) {
      paths.push_back(path);
      values.push_back(value);
    }
    a->group.set_attribute("sweep_paths", paths);
    a->group.set_attribute("sweep_values", values);
  }
  const hsize_t R = u(header_.replicates), T = u(header_.days), N = u(header_.agents);

  // Datasets of one row per replicate are chunked by replicate: a file that holds only some
  // replicates (a shard's part) stores only those, and rows are copied between files as stored.
  a->state_counts = a->group.create_dataset<std::int32_t>("state_counts", {R, T, recovery::clinical_state_count},
                                                          {{1, T, recovery::clinical_state_count}, 0});
  a->state_counts.set_attribute("labels", labels(recovery::clinical_state_names));
  document(a->state_counts, "people",
           "[replicate, day, state]: people in each clinical state at the end of the day (labels: the states)");
  a->treatment_counts =
      a->group.create_dataset<std::int32_t>("treatment_counts", {R, T, recovery::treatment_status_count},
                                            {{1, T, recovery::treatment_status_count}, 0});
  a->treatment_counts.set_attribute("labels", labels(recovery::treatment_status_names));
  document(a->treatment_counts, "people",
           "[replicate, day, status]: people in each treatment status at the end of the day (labels: the statuses)");
  a->treatment_cost = a->group.create_dataset<double>("treatment_cost", {R, T}, {{1, T}, 0});
  document(a->treatment_cost, "currency units",
           "[replicate, day]: the treatment settings' cost of the day, undiscounted: places taken x cost_per_day and "
           "places provided x slot_cost_per_day (0 without costs)");

  // Level 1: most of the size reduction of higher levels at a fraction of the time, which
  // otherwise shows as a share of the run.
  const h5::DatasetOptions per_agent{{1, std::min<hsize_t>(N, 65536)}, 1};
  // Floats drawn from continuous distributions hardly compress: storing them as they are
  // saves the time without costing much space.
  const h5::DatasetOptions per_agent_floats{per_agent.chunk, 0};
  auto add = [&]<class T>(const std::string& column, T*) {
    a->agents[column] = a->group.create_dataset<T>("agents/" + column, {R, N},
                                                   std::is_floating_point_v<T> ? per_agent_floats : per_agent);
    const AgentField& field = core_agent_field(column);
    document(a->agents[column], field.unit, std::string("[replicate, agent]: ") + field.description);
  };
  add("admission_day", static_cast<recovery::DayCount*>(nullptr));
  add("substance", static_cast<std::int8_t*>(nullptr));
  a->agents["substance"].set_attribute("labels", labels(recovery::substance_names));
  add("severity", static_cast<float*>(nullptr));
  add("mental_health", static_cast<std::int8_t*>(nullptr));
  add("baseline_support", static_cast<float*>(nullptr));
  add("baseline_engagement", static_cast<float*>(nullptr));
  add("age_years", static_cast<float*>(nullptr));
  add("sex", static_cast<std::int8_t*>(nullptr));
  a->agents["sex"].set_attribute("labels", labels(std::array<std::string_view, 2>{"female", "male"}));
  add("first_lapse_day", static_cast<recovery::DayCount*>(nullptr));
  add("first_relapse_day", static_cast<recovery::DayCount*>(nullptr));
  add("first_episode_outcome", static_cast<std::int8_t*>(nullptr));
  a->agents["first_episode_outcome"].set_attribute("labels", labels(recovery::episode_outcome_names));
  add("first_episode_days", static_cast<recovery::DayCount*>(nullptr));
  add("readmissions", static_cast<recovery::DayCount*>(nullptr));
  add("setting", static_cast<std::int8_t*>(nullptr));
  a->agents["setting"].set_attribute("labels", arm.setting_names);
  add("death_day", static_cast<recovery::DayCount*>(nullptr));
  add("death_cause", static_cast<std::int8_t*>(nullptr));
  a->agents["death_cause"].set_attribute("labels", labels(recovery::death_cause_names));
  add("abstinent_days", static_cast<recovery::DayCount*>(nullptr));

  for (const auto& outcome : recovery::replicate_outcome_quantities(arm.observed)) {
    a->outcome_names.push_back(outcome.name);
    a->outcomes.push_back(a->group.create_dataset<double>("outcomes/" + outcome.name, {R}));
    document(a->outcomes.back(), outcome.unit, "[replicate]: " + outcome.description);
  }
  add_tables(*a, arm.observed);
  if (arm.observed.record_events) add_events(*a, arm.observed);

  if (header_.trajectories) {
    a->trajectories =
        a->group.create_dataset<std::uint8_t>("trajectories/state", {R, N, T},
                                              {{1, std::min<hsize_t>(N, 16384), std::min<hsize_t>(T, 64)}, 4});
    a->trajectories.set_attribute("labels", labels(recovery::clinical_state_names));
    a->trajectories.set_attribute("not_admitted", std::string("255: not yet admitted (open cohorts)"));
    document(
        a->trajectories, "category",
        "[replicate, agent, day]: clinical state at the end of the day, an index into labels; 255 before admission");
  }
  for (const auto& m : modules) {
    ArmDatasets::Module out{m.type, a->group.create_group("modules/" + m.type), {}, {}};
    for (const auto& metric : m.metrics) {
      out.metrics.push_back(out.group.create_dataset<double>("daily/" + metric.name, {R, T}, {{1, T}, 0}));
      document(out.metrics.back(), metric.unit, "[replicate, day]: " + metric.description);
    }
    a->modules.push_back(std::move(out));
  }
  arms_.push_back(std::move(a));
  return arms_.size() - 1;
}

void ResultsFile::write_module_metrics(std::size_t arm, std::size_t module, std::int64_t replicate,
                                       const std::vector<double>& values) {
  auto& m = arms_.at(arm)->modules.at(module);
  const std::size_t count = m.metrics.size();
  const auto T = static_cast<std::size_t>(header_.days);
  std::vector<double> series(T);
  for (std::size_t j = 0; j < count; ++j) {
    for (std::size_t t = 0; t < T; ++t) series[t] = values[t * count + j];
    m.metrics[j].write_block<double>({u(replicate), 0}, {1, T}, series);
  }
}

void ResultsFile::write_module_agents(std::size_t arm, std::size_t module, std::int64_t replicate,
                                      const std::vector<recovery::AgentColumn>& columns) {
  auto& a = *arms_.at(arm);
  auto& m = a.modules.at(module);
  const hsize_t R = u(header_.replicates), N = u(header_.agents);
  const h5::DatasetOptions per_agent{{1, std::min<hsize_t>(N, 65536)}, 1};
  for (const auto& column : columns) {
    const std::string name = m.type + "." + column.name;
    std::visit(
        [&]<class T>(const std::vector<T>& values) {
          if (values.size() != N) throw h5::Error("module column " + name + " has the wrong length");
          auto it = m.agent_columns.find(name);
          if (it == m.agent_columns.end()) {
            it = m.agent_columns.emplace(name, a.group.create_dataset<T>("agents/" + name, {R, N}, per_agent)).first;
            document(it->second, column.unit, "[replicate, agent]: " + column.description);
          }
          it->second.write_block<T>({u(replicate), 0}, {1, N}, values);
        },
        column.values);
  }
}

void ResultsFile::write_day_counts(std::size_t arm_index, std::int64_t replicate,
                                   const std::vector<recovery::DayCounts>& per_day) {
  auto& arm = *arms_.at(arm_index);
  std::vector<std::int32_t> states, treatments;
  std::vector<double> costs;
  for (const auto& day : per_day) {
    for (auto n : day.state) states.push_back(static_cast<std::int32_t>(n));
    for (auto n : day.treatment) treatments.push_back(static_cast<std::int32_t>(n));
    costs.push_back(day.treatment_cost);
  }
  const hsize_t T = per_day.size();
  arm.state_counts.write_block<std::int32_t>({u(replicate), 0, 0}, {1, T, recovery::clinical_state_count}, states);
  arm.treatment_counts.write_block<std::int32_t>({u(replicate), 0, 0}, {1, T, recovery::treatment_status_count},
                                                 treatments);
  arm.treatment_cost.write_block<double>({u(replicate), 0}, {1, T}, costs);
}

void ResultsFile::write_agents(std::size_t arm_index, std::int64_t replicate, const Population& pop) {
  auto& arm = *arms_.at(arm_index);
  const hsize_t N = pop.size();
  auto write = [&]<class T>(const std::string& column, const std::vector<T>& values) {
    arm.agents.at(column).write_block<T>({u(replicate), 0}, {1, N}, values);
  };
  auto as_int8 = [](const auto& column) {
    std::vector<std::int8_t> out(column.size());
    for (std::size_t i = 0; i < column.size(); ++i) out[i] = static_cast<std::int8_t>(column[i]);
    return out;
  };
  std::vector<recovery::DayCount> admission_day(pop.size());
  for (std::size_t i = 0; i < pop.size(); ++i)
    admission_day[i] = static_cast<recovery::DayCount>(std::min(pop.admission_day(i), recovery::max_day_count));
  write("admission_day", admission_day);
  write("substance", as_int8(pop.substance));
  write("severity", pop.severity);
  write("mental_health", as_int8(pop.mental_health));
  write("baseline_support", pop.baseline_support);
  write("baseline_engagement", pop.baseline_engagement);
  write("age_years", pop.age_years);
  write("sex", as_int8(pop.male));
  write("first_lapse_day", pop.first_lapse_day);
  write("first_relapse_day", pop.first_relapse_day);
  write("first_episode_outcome", as_int8(pop.first_episode_outcome));
  write("first_episode_days", pop.first_episode_days);
  write("readmissions", pop.readmissions);
  write("setting", as_int8(pop.setting));
  write("death_day", pop.death_day);
  write("death_cause", as_int8(pop.death_cause));
  write("abstinent_days", pop.abstinent_days);
}

void ResultsFile::write_outcomes(std::size_t arm, std::int64_t replicate, const std::vector<double>& values) {
  auto& a = *arms_.at(arm);
  if (values.size() != a.outcomes.size()) throw std::logic_error("write_outcomes: values do not match the outcomes");
  a.outcome_rows.resize(values.size(), std::vector<double>(u(header_.replicates), 0.0));
  for (std::size_t j = 0; j < values.size(); ++j) a.outcome_rows[j][u(replicate)] = values[j];
  a.rows_written = true;
}

void ResultsFile::flush_rows() {
  for (auto& arm : arms_) {
    if (!arm->rows_written) continue;
    for (std::size_t j = 0; j < arm->outcomes.size(); ++j) arm->outcomes[j].write_all<double>(arm->outcome_rows[j]);
    for (auto& t : arm->tables) {
      if (!t.event_rows.empty()) t.event_table.write_all<std::int64_t>(t.event_rows);
      if (!t.count_rows.empty()) t.counts.write_all<std::int64_t>(t.count_rows);
    }
    arm->rows_written = false;
  }
}

void ResultsFile::write_outcome_counts(std::size_t arm, std::int64_t replicate,
                                       const std::vector<recovery::OutcomeCounts>& counts) {
  auto& tables = arms_.at(arm)->tables;
  if (counts.size() != tables.size()) throw std::logic_error("write_outcome_counts: counts do not match the tables");
  // Each replicate's block of a [R, ...] dataset, in place in the kept contents.
  const auto put = [&](h5::Dataset& dataset, std::vector<std::int64_t>& rows, const std::vector<std::int64_t>& block) {
    const auto dims = dataset.dims();
    const std::size_t per_row = dims[1] * dims[2] * dims[3];
    if (block.size() != per_row) throw std::logic_error("write_outcome_counts: counts do not match the table");
    rows.resize(dims[0] * per_row, 0);
    std::copy(block.begin(), block.end(), rows.begin() + static_cast<std::ptrdiff_t>(u(replicate) * per_row));
  };
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const recovery::OutcomeCounts& c = counts[i];
    if (tables[i].event_table.id() >= 0) {
      std::vector<std::int64_t> data;
      for (const auto& t : c.event)
        for (std::size_t day = 0; day < t.days; ++day) {
          data.push_back(t.entered[day]);
          data.push_back(t.censored[day]);
          for (std::size_t k = 0; k < t.causes; ++k) data.push_back(t.event(day, k));
        }
      put(tables[i].event_table, tables[i].event_rows, data);
    }
    if (tables[i].counts.id() >= 0) {
      std::vector<std::int64_t> data;
      for (const auto& rows : c.rows) data.insert(data.end(), rows.begin(), rows.end());
      put(tables[i].counts, tables[i].count_rows, data);
    }
  }
  arms_.at(arm)->rows_written = true;
}

void ResultsFile::write_events(std::size_t arm, std::int64_t replicate_number,
                               const std::vector<recovery::RecordedEvent>& events) {
  auto& e = arms_.at(arm)->events;
  if (!e) throw std::logic_error("write_events: the arm records no events");
  const std::size_t n = events.size();
  std::vector<std::int32_t> replicates(n, static_cast<std::int32_t>(replicate_number)), agents(n);
  std::vector<std::int16_t> days(n), details(n);
  std::vector<std::uint16_t> codes(n);
  for (std::size_t k = 0; k < n; ++k) {
    agents[k] = events[k].agent;
    days[k] = static_cast<std::int16_t>(events[k].day);
    codes[k] = events[k].code;
    details[k] = events[k].detail;
  }
  e->replicate.append<std::int32_t>(replicates);
  e->agent.append<std::int32_t>(agents);
  e->day.append<std::int16_t>(days);
  e->code.append<std::uint16_t>(codes);
  e->detail.append<std::int16_t>(details);
}

void ResultsFile::add_tables(ArmDatasets& a, const recovery::ObservationPlan& plan) {
  const hsize_t R = u(header_.replicates), T = u(header_.days);
  const hsize_t P = std::max<hsize_t>(plan.periods, 1);
  const h5::DatasetOptions options{{}, 1};
  for (const auto& d : plan.definitions) {
    ArmDatasets::Table table;
    const std::string at = "tables/" + d.name;
    const bool contrast =
        d.statistic == recovery::OutcomeStatistic::ratio || d.statistic == recovery::OutcomeStatistic::difference;
    if (contrast) {
      a.tables.push_back(std::move(table));
      continue;
    }
    if (d.statistic == recovery::OutcomeStatistic::cumulative_incidence) {
      const hsize_t C = 2 + d.causes.size();
      // int32: every count is at most the population (population.size < 2^31).
      table.event_table = a.group.create_dataset<std::int32_t>(at + "/event_table", {R, P, T, C}, {{1, P, T, C}, 1});
      std::vector<std::string> columns = {"entered", "censored"};
      for (const auto& c : d.cause_names) columns.push_back(c);
      table.event_table.set_attribute("columns", columns);
      document(table.event_table, "people",
               "[replicate, admission period, day since the origin, column]: people entering follow-up, censored, "
               "and having each cause (columns) on that day: the counts the estimates are computed from");
    }
    // Rows: the days of a time to event (followed for D days, then their events by cause) or of
    // a state share (observed, in the state); the categories of a rate (events, person-days).
    std::vector<std::string> columns, rows;
    switch (d.statistic) {
      case recovery::OutcomeStatistic::cumulative_incidence:
        columns = {"followed"};
        for (const auto& c : d.cause_names) columns.push_back(c);
        for (const auto day : d.days) rows.push_back(std::to_string(day));
        break;
      case recovery::OutcomeStatistic::state_share:
        columns = {"observed", "in_state"};
        for (const auto day : d.days) rows.push_back(std::to_string(day));
        break;
      default: {
        columns = {"events", "person_days"};
        const auto suffixes = recovery::rate_category_suffixes(d);
        for (std::size_t k = suffixes.size() > 1 ? 1 : 0; k < suffixes.size(); ++k)
          rows.push_back(suffixes[k].empty() ? "all" : suffixes[k].substr(1));
      }
    }
    if (!rows.empty()) {
      const hsize_t W = columns.size(), N = rows.size();
      // Person-days may pass 2^31; the other counts are at most the population.
      const h5::DatasetOptions chunked{{1, P, N, W}, options.deflate_level};
      table.counts = d.statistic == recovery::OutcomeStatistic::rate
                         ? a.group.create_dataset<std::int64_t>(at + "/counts", {R, P, N, W}, chunked)
                         : a.group.create_dataset<std::int32_t>(at + "/counts", {R, P, N, W}, chunked);
      table.counts.set_attribute("columns", columns);
      table.counts.set_attribute("rows", rows);
      document(table.counts, d.statistic == recovery::OutcomeStatistic::rate ? "events, person-days" : "people",
               "[replicate, admission period, row, column]: the counts behind the definition's estimates by day or "
               "category (rows) and kind (columns)");
    }
    a.tables.push_back(std::move(table));
  }
}

void ResultsFile::add_events(ArmDatasets& a, const recovery::ObservationPlan& plan) {
  a.events = std::make_unique<ArmDatasets::Events>();
  constexpr hsize_t chunk = 1 << 16;
  a.events->replicate = a.group.create_appendable<std::int32_t>("events/replicate", chunk, 1);
  a.events->agent = a.group.create_appendable<std::int32_t>("events/agent", chunk, 1);
  a.events->day = a.group.create_appendable<std::int16_t>("events/day", chunk, 1);
  a.events->code = a.group.create_appendable<std::uint16_t>("events/code", chunk, 1);
  a.events->detail = a.group.create_appendable<std::int16_t>("events/detail", chunk, 1);
  document(a.events->replicate, "replicate", "[event]: the replicate of each event");
  document(a.events->agent, "agent index", "[event]: the person");
  document(a.events->day, "day", "[event]: the day it happened");
  document(a.events->code, "code", "[event]: what happened, a code of events/codes");
  document(a.events->detail, "code", "[event]: a detail that depends on the event (docs/output.md), else -1");
  (void)plan;
  // The table of codes, for readers: every core event and every module's.
  std::vector<std::uint16_t> codes;
  std::vector<std::string> names;
  for (const auto& e : event_vocabulary())
    if (e.codes.size() == 1) {
      codes.push_back(e.codes.front());
      names.push_back(e.name);
    }
  auto table = a.group.create_dataset<std::uint16_t>("events/codes", {codes.size()});
  table.write_all<std::uint16_t>(codes);
  table.set_attribute("names", names);
  document(table, "code", "the codes of events/code, with their names in the names attribute");
}

void ResultsFile::write_trajectory_block(std::size_t arm_index, std::int64_t replicate, std::int64_t first_day,
                                         std::int64_t block_days, const std::vector<std::uint8_t>& block,
                                         std::size_t stride) {
  auto& arm = *arms_.at(arm_index);
  const hsize_t N = u(header_.agents);
  if (static_cast<std::size_t>(block_days) == stride) {
    arm.trajectories.write_block<std::uint8_t>({u(replicate), 0, u(first_day)}, {1, N, u(block_days)}, block);
    return;
  }
  // Last, shorter block: pack the rows before writing.
  std::vector<std::uint8_t> packed(N * u(block_days));
  for (std::size_t i = 0; i < N; ++i)
    for (std::int64_t d = 0; d < block_days; ++d) packed[i * u(block_days) + u(d)] = block[i * stride + u(d)];
  arm.trajectories.write_block<std::uint8_t>({u(replicate), 0, u(first_day)}, {1, N, u(block_days)}, packed);
}

void ResultsFile::write_uncertain_parameters(const std::vector<std::string>& paths,
                                             const std::vector<std::string>& distributions,
                                             const std::vector<std::string>& units,
                                             const std::vector<std::vector<double>>& values) {
  for (std::size_t k = 0; k < paths.size(); ++k) {
    std::vector<double> column;
    for (const auto& replicate : values) column.push_back(replicate.at(k));
    auto dataset = file_.root().create_dataset<double>("uncertain_parameters/" + paths[k], {u(header_.replicates)});
    dataset.write_all<double>(column);
    dataset.set_attribute("distribution", distributions[k]);
    document(dataset, units[k],
             "[replicate]: the value of " + paths[k] + " drawn for each replicate from " + distributions[k]);
  }
}

void ResultsFile::copy_arm_rows(const h5::Group& source_arm, std::size_t arm, std::int64_t source_row, std::int64_t row,
                                std::int64_t rows) {
  auto& target = arms_.at(arm)->group;
  const hsize_t R = u(header_.replicates);
  // Depth first through the arm's groups; `summary` is computed for the whole file, not copied.
  auto copy_group = [&](auto& self, const h5::Group& from, const std::string& prefix) -> void {
    for (const auto& [name, is_group] : from.members()) {
      const std::string path = prefix + name;
      if (path == "summary" || path == "events") continue;
      if (is_group) {
        self(self, from.open_group(name), path + "/");
        continue;
      }
      const h5::Dataset source = from.open_dataset(name);
      h5::Dataset dataset =
          target.exists(path) ? target.open_dataset(path) : target.create_dataset_like(path, source, R);
      // A part or unit read from disk: another stored type than the file's would be copied as
      // garbage (copy_rows refuses it), so say which file and dataset.
      if (!source.same_stored_type(dataset))
        throw InputError({h5::file_name(source.id()), 0, 0}, source.path() + ": stored as " + source.type_name() +
                                                                 " (or another byte order), expected " +
                                                                 dataset.type_name() + " (a damaged or altered file?)");
      h5::copy_rows(source, u(source_row), dataset, u(row), u(rows));
    }
  };
  copy_group(copy_group, source_arm, "");
}

void ResultsFile::copy_arm_events(const h5::Group& source_arm, std::size_t arm, std::int64_t first_replicate,
                                  std::int64_t replicates) {
  auto& e = arms_.at(arm)->events;
  if (!e) return;
  const h5::Group from = source_arm.open_group("events");
  const auto replicate = from.open_dataset("replicate").read_all<std::int32_t>();
  const auto begin = std::lower_bound(replicate.begin(), replicate.end(), first_replicate);
  const auto end = std::lower_bound(begin, replicate.end(), first_replicate + replicates);
  const auto first = static_cast<hsize_t>(begin - replicate.begin()), count = static_cast<hsize_t>(end - begin);
  if (count == 0) return;
  e->replicate.append<std::int32_t>(std::span<const std::int32_t>(replicate.data() + first, count));
  e->agent.append<std::int32_t>(from.open_dataset("agent").read_range<std::int32_t>(first, count));
  e->day.append<std::int16_t>(from.open_dataset("day").read_range<std::int16_t>(first, count));
  e->code.append<std::uint16_t>(from.open_dataset("code").read_range<std::uint16_t>(first, count));
  e->detail.append<std::int16_t>(from.open_dataset("detail").read_range<std::int16_t>(first, count));
}

void ResultsFile::record_complete(const std::vector<std::string>& arm_names,
                                  const std::vector<std::uint8_t>& complete) {
  auto dataset = file_.root().create_dataset<std::uint8_t>("tasks/complete", {arm_names.size(), u(header_.replicates)});
  dataset.write_all<std::uint8_t>(complete);
  dataset.set_attribute("arms", arm_names);
  document(dataset, "flag", "[arm, replicate]: 1 where the file holds that replicate of that arm (arms attribute)");
}

void ResultsFile::commit(const std::string& checksum_path) {
  flush_rows();
  arms_.clear();  // close datasets and groups before the file
  file_.close();
  if (!checksum_path.empty()) write_checksum(partial_path_, checksum_path);
  fault_point("file-written");
  durable_rename(partial_path_, final_path_);
  committed_ = true;
}

}  // namespace recoverysim
