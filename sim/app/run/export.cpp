// Tidy tables from a results file (see export.hpp): rows streamed to the output, one replicate
// of one dataset in memory at a time.
#include "export.hpp"

#include "analysis.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "results_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <variant>

namespace recoverysim {

namespace {

// A cell: text, a number (shortest round-trip form; NaN is missing), or missing.
struct Missing {};
using Cell = std::variant<std::string, double, float, std::int64_t, Missing>;

class TidyWriter {
 public:
  TidyWriter(std::ostream& out, ExportFormat format, std::vector<std::string> columns)
      : out_(out), format_(format), columns_(std::move(columns)) {
    if (format_ == ExportFormat::csv) {
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (c) line_ += ',';
        csv_text(columns_[c]);
      }
      line_ += '\n';
    } else {
      line_ = "[";
    }
    flush();
  }

  void row(const std::vector<Cell>& cells) {
    if (format_ == ExportFormat::csv) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (c) line_ += ',';
        std::visit([&](const auto& v) { csv(v); }, cells[c]);
      }
      line_ += '\n';
    } else {
      line_ += rows_ ? ",\n{" : "\n{";
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (c) line_ += ", ";
        json_text(columns_[c]);
        line_ += ": ";
        std::visit([&](const auto& v) { json(v); }, cells[c]);
      }
      line_ += '}';
    }
    ++rows_;
    if (line_.size() > (1u << 16)) flush();
  }

  std::int64_t finish() {
    if (format_ == ExportFormat::json) line_ += rows_ ? "\n]\n" : "]\n";
    flush();
    return rows_;
  }

 private:
  void flush() {
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
    line_.clear();
  }
  void number(double x) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, x).ptr;
    line_.append(text, end);
  }
  void number(float x) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, x).ptr;
    line_.append(text, end);
  }
  void number(std::int64_t x) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, x).ptr;
    line_.append(text, end);
  }
  void csv_text(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
      line_ += s;
      return;
    }
    line_ += '"';
    for (const char ch : s) {
      if (ch == '"') line_ += '"';
      line_ += ch;
    }
    line_ += '"';
  }
  void csv(const std::string& s) { csv_text(s); }
  void csv(double x) {
    if (std::isnan(x)) line_ += "NA";
    else if (std::isinf(x)) line_ += x > 0 ? "Inf" : "-Inf";
    else number(x);
  }
  void csv(float x) { std::isfinite(x) ? number(x) : csv(static_cast<double>(x)); }
  void csv(std::int64_t x) { number(x); }
  void csv(Missing) { line_ += "NA"; }
  void json_text(const std::string& s) {
    line_ += '"';
    for (const char ch : s) {
      if (ch == '"' || ch == '\\') {
        line_ += '\\';
        line_ += ch;
      } else if (static_cast<unsigned char>(ch) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", ch);
        line_ += escaped;
      } else {
        line_ += ch;
      }
    }
    line_ += '"';
  }
  void json(const std::string& s) { json_text(s); }
  void json(double x) {
    if (std::isfinite(x)) number(x);
    else line_ += "null";  // JSON has no NaN or infinity: docs/output.md says what null means
  }
  void json(float x) { std::isfinite(x) ? number(x) : json(static_cast<double>(x)); }
  void json(std::int64_t x) { number(x); }
  void json(Missing) { line_ += "null"; }

  std::ostream& out_;
  ExportFormat format_;
  std::vector<std::string> columns_;
  std::string line_;
  std::int64_t rows_ = 0;
};

// The columns every table starts with: the arm, the replicate, each swept path (the arm's
// value, or missing) and each drawn parameter (the replicate's draw, for the arms it applies to).
class Identity {
 public:
  Identity(const h5::Group& root, const Scenario& scenario) {
    for (const auto& arm : scenario.arms)
      for (const auto& [path, value] : arm.sweep_point)
        if (std::find(sweep_paths_.begin(), sweep_paths_.end(), path) == sweep_paths_.end())
          sweep_paths_.push_back(path);
    for (const auto& u : scenario.uncertain_parameters()) {
      drawn_paths_.push_back(u.path);
      drawn_.push_back(root.open_dataset("uncertain_parameters/" + u.path).read_all<double>());
    }
  }
  std::vector<std::string> columns() const {
    std::vector<std::string> c = {"arm", "replicate"};
    c.insert(c.end(), sweep_paths_.begin(), sweep_paths_.end());
    c.insert(c.end(), drawn_paths_.begin(), drawn_paths_.end());
    return c;
  }
  // Fills the identity cells of arm `a`, replicate `r` at the front of `cells`.
  void fill(std::vector<Cell>& cells, const Arm& arm, std::int64_t r) const {
    cells.clear();
    cells.emplace_back(arm.name);
    cells.emplace_back(r);
    for (const auto& path : sweep_paths_) {
      const auto it =
          std::find_if(arm.sweep_point.begin(), arm.sweep_point.end(), [&](const auto& p) { return p.first == path; });
      if (it == arm.sweep_point.end()) cells.emplace_back(Missing{});
      else cells.emplace_back(number_or_text(it->second));
    }
    for (std::size_t k = 0; k < drawn_paths_.size(); ++k) {
      const std::string& path = drawn_paths_[k];
      const bool applies = !path.starts_with("arms.") || path.starts_with("arms." + arm.name + ".") ||
                           path.starts_with("arms." + arm.sweep_base + ".");
      if (applies) cells.emplace_back(drawn_[k].at(static_cast<std::size_t>(r)));
      else cells.emplace_back(Missing{});
    }
  }

 private:
  static Cell number_or_text(const std::string& s) {
    double x = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec == std::errc() && end == s.data() + s.size()) return x;
    return s;
  }
  std::vector<std::string> sweep_paths_, drawn_paths_;
  std::vector<std::vector<double>> drawn_;
};

std::vector<const Arm*> chosen_arms(const Scenario& scenario, const std::vector<std::string>& names) {
  std::vector<const Arm*> out;
  for (const auto& arm : scenario.arms)
    if (names.empty() || std::find(names.begin(), names.end(), arm.name) != names.end()) out.push_back(&arm);
  for (const auto& name : names)
    if (std::none_of(scenario.arms.begin(), scenario.arms.end(), [&](const Arm& a) { return a.name == name; })) {
      std::vector<std::string> all;
      for (const auto& arm : scenario.arms) all.push_back(arm.name);
      const std::string hint = closest_match(name, all);
      throw InputError({"--arm " + name, 0, 0},
                       "no arm '" + name + "' in the file" +
                           (hint.empty() ? "; arms: " + join_names(all) : " (did you mean '" + hint + "'?)"));
    }
  return out;
}

// A dataset whose values are indices into its `labels` attribute (substance, ...).
std::vector<std::string> labels_of(const h5::Dataset& d) {
  return d.has_attribute("labels") ? d.string_list_attribute("labels") : std::vector<std::string>{};
}

std::vector<std::string> dataset_names(const h5::Group& g) {
  std::vector<std::string> names;
  for (const auto& [name, is_group] : g.members())
    if (!is_group) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

void export_outcomes(const h5::Group& root, const Scenario& scenario, const std::vector<const Arm*>& arms,
                     const Identity& id, TidyWriter& writer) {
  std::vector<Cell> cells;
  for (const Arm* arm : arms) {
    const ArmAnalysis a =
        analyse_arm(root.open_group("arms/" + arm->name), scenario, *arm, scenario.run.replicates, {});
    for (std::int64_t r = 0; r < scenario.run.replicates; ++r) {
      throw_if_interrupted();
      for (std::size_t q = 0; q < a.quantity_names.size(); ++q) {
        id.fill(cells, *arm, r);
        cells.emplace_back(a.quantity_names[q]);
        cells.emplace_back(a.values[q][static_cast<std::size_t>(r)]);
        writer.row(cells);
      }
    }
  }
}

void export_daily(const h5::Group& root, const Scenario& scenario, const std::vector<const Arm*>& arms,
                  const Identity& id, TidyWriter& writer) {
  std::vector<Cell> cells;
  for (const Arm* arm : arms) {
    const h5::Group g = root.open_group("arms/" + arm->name);
    // Each series: a quantity name, its dataset, and its column in the dataset's last
    // dimension ([R, T, K]) or -1 ([R, T]).
    struct Series {
      std::string name;
      std::size_t dataset;
      int column;
    };
    std::vector<h5::Dataset> datasets;
    std::vector<Series> series;
    for (const auto& [dataset, prefix] :
         {std::pair{"state_counts", "state."}, std::pair{"treatment_counts", "treatment."}}) {
      datasets.push_back(g.open_dataset(dataset));
      const auto labels = labels_of(datasets.back());
      for (std::size_t k = 0; k < labels.size(); ++k)
        series.push_back({prefix + labels[k], datasets.size() - 1, static_cast<int>(k)});
    }
    datasets.push_back(g.open_dataset("treatment_cost"));
    series.push_back({"treatment.cost", datasets.size() - 1, -1});
    if (g.exists("modules"))
      for (const auto& [type, is_group] : g.open_group("modules").members()) {
        if (!is_group || !g.exists("modules/" + type + "/daily")) continue;
        const h5::Group daily = g.open_group("modules/" + type + "/daily");
        for (const auto& metric : dataset_names(daily)) {
          datasets.push_back(daily.open_dataset(metric));
          series.push_back({type + "." + metric, datasets.size() - 1, -1});
        }
      }
    const auto T = static_cast<std::size_t>(scenario.run.days);
    for (std::int64_t r = 0; r < scenario.run.replicates; ++r) {
      throw_if_interrupted();
      std::vector<std::vector<double>> rows;
      for (const auto& d : datasets) {
        rows.push_back(d.read_rows<double>(static_cast<hsize_t>(r), 1));
        // Counts (whole numbers by their type) and metrics alike: never below zero, never NaN.
        check_values_read(d, rows.back(), analysis::Bounds::nonnegative, false, static_cast<hsize_t>(r));
      }
      for (std::size_t day = 0; day < T; ++day)
        for (const Series& s : series) {
          const std::vector<double>& row = rows[s.dataset];
          const std::size_t width = row.size() / T;
          id.fill(cells, *arm, r);
          cells.emplace_back(static_cast<std::int64_t>(day));
          cells.emplace_back(s.name);
          cells.emplace_back(row.at(day * width + static_cast<std::size_t>(std::max(s.column, 0))));
          writer.row(cells);
        }
    }
  }
}

// Every field of the agents of `arms`: the core's first, then the modules' (<type>.<field>).
std::vector<std::string> agent_fields(const h5::Group& root, const std::vector<const Arm*>& arms) {
  std::vector<std::string> names;
  for (const Arm* arm : arms)
    for (auto& name : dataset_names(root.open_group("arms/" + arm->name + "/agents")))
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    const bool module_a = a.find('.') != std::string::npos, module_b = b.find('.') != std::string::npos;
    return module_a != module_b ? module_b : a < b;
  });
  return names;
}

void export_agents(const h5::Group& root, const Scenario& scenario, const std::vector<const Arm*>& arms,
                   const Identity& id, TidyWriter& writer) {
  std::vector<Cell> cells;
  const std::vector<std::string> names = agent_fields(root, arms);
  for (const Arm* arm : arms) {
    const h5::Group agents = root.open_group("arms/" + arm->name + "/agents");
    std::vector<std::optional<h5::Dataset>> fields;  // empty: a module this arm does not have
    std::vector<std::vector<std::string>> labels;
    std::vector<std::uint8_t> single;
    for (const auto& name : names) {
      fields.push_back(agents.exists(name) ? std::optional(agents.open_dataset(name)) : std::nullopt);
      labels.push_back(fields.back() ? labels_of(*fields.back()) : std::vector<std::string>{});
      single.push_back(fields.back() && fields.back()->is_single_precision());
    }
    std::size_t people = 0;
    for (const auto& f : fields)
      if (f) people = f->dims().at(1);
    for (std::int64_t r = 0; r < scenario.run.replicates; ++r) {
      throw_if_interrupted();
      std::vector<std::vector<double>> values;
      for (const auto& f : fields)
        values.push_back(f ? f->read_rows<double>(static_cast<hsize_t>(r), 1) : std::vector<double>(people, NAN));
      for (std::size_t i = 0; i < people; ++i) {
        id.fill(cells, *arm, r);
        cells.emplace_back(static_cast<std::int64_t>(i));
        for (std::size_t k = 0; k < fields.size(); ++k) {
          const double v = values[k][i];
          // A code is converted only once known to be one (-1, "none", is not).
          if (!labels[k].empty() && v >= 0 && v < static_cast<double>(labels[k].size()))
            cells.emplace_back(labels[k][static_cast<std::size_t>(v)]);
          else if (single[k]) cells.emplace_back(static_cast<float>(v));
          else cells.emplace_back(v);
        }
        writer.row(cells);
      }
    }
  }
}

void export_events(const h5::Group& root, const Scenario& scenario, const std::vector<const Arm*>& arms,
                   const Identity& id, TidyWriter& writer) {
  std::vector<Cell> cells;
  for (const Arm* arm : arms) {
    const h5::Group events = root.open_group("arms/" + arm->name + "/events");
    const h5::Dataset codes = events.open_dataset("codes");
    const auto code_values = codes.read_all<std::int64_t>();
    const auto code_names = codes.string_list_attribute("names");
    std::map<std::int64_t, std::string> name_of;
    for (std::size_t k = 0; k < code_values.size() && k < code_names.size(); ++k)
      name_of[code_values[k]] = code_names[k];
    const h5::Dataset replicate = events.open_dataset("replicate"), agent = events.open_dataset("agent"),
                      day = events.open_dataset("day"), code = events.open_dataset("code"),
                      detail = events.open_dataset("detail");
    const hsize_t n = replicate.dims().at(0);
    constexpr hsize_t block = 1 << 16;
    for (hsize_t first = 0; first < n; first += block) {
      throw_if_interrupted();
      const hsize_t count = std::min(block, n - first);
      const auto r = replicate.read_range<std::int64_t>(first, count), a = agent.read_range<std::int64_t>(first, count),
                 d = day.read_range<std::int64_t>(first, count), c = code.read_range<std::int64_t>(first, count),
                 x = detail.read_range<std::int64_t>(first, count);
      // Each replicate, agent and day indexes the run's (checked here: the record is too large
      // to check when the file is opened).
      check_indices_read(replicate, r, 0, scenario.run.replicates, first);
      check_indices_read(agent, a, 0, scenario.model.population.size, first);
      check_indices_read(day, d, 0, scenario.run.days, first);
      for (hsize_t k = 0; k < count; ++k) {
        id.fill(cells, *arm, r[k]);
        cells.emplace_back(a[k]);
        cells.emplace_back(d[k]);
        const auto it = name_of.find(c[k]);
        cells.emplace_back(it == name_of.end() ? "code " + std::to_string(c[k]) : it->second);
        cells.emplace_back(x[k]);
        writer.row(cells);
      }
    }
  }
}

}  // namespace

ExportTable parse_export_table(const std::string& name) {
  if (name == "outcomes") return ExportTable::outcomes;
  if (name == "daily") return ExportTable::daily;
  if (name == "agents") return ExportTable::agents;
  if (name == "events") return ExportTable::events;
  throw InputError({"--what " + name, 0, 0}, "expected one of outcomes, daily, agents, events");
}

std::int64_t export_table(const h5::Group& root, const Scenario& scenario, const ExportOptions& options,
                          std::ostream& out) {
  const std::vector<const Arm*> arms = chosen_arms(scenario, options.arms);
  if (options.table == ExportTable::events && !scenario.run.output_events)
    throw InputError({"--what events", 0, 0},
                     "the file has no event record: run the scenario with output.events: true");
  const Identity id(root, scenario);
  std::vector<std::string> columns = id.columns();
  switch (options.table) {
    case ExportTable::outcomes: columns.insert(columns.end(), {"quantity", "value"}); break;
    case ExportTable::daily: columns.insert(columns.end(), {"day", "quantity", "value"}); break;
    case ExportTable::events: columns.insert(columns.end(), {"agent", "day", "event", "detail"}); break;
    case ExportTable::agents: {
      columns.push_back("agent");
      const auto fields = agent_fields(root, arms);
      columns.insert(columns.end(), fields.begin(), fields.end());
      break;
    }
  }
  TidyWriter writer(out, options.format, columns);
  switch (options.table) {
    case ExportTable::outcomes: export_outcomes(root, scenario, arms, id, writer); break;
    case ExportTable::daily: export_daily(root, scenario, arms, id, writer); break;
    case ExportTable::agents: export_agents(root, scenario, arms, id, writer); break;
    case ExportTable::events: export_events(root, scenario, arms, id, writer); break;
  }
  return writer.finish();
}

}  // namespace recoverysim
