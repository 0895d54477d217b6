// Rendering of summaries and comparisons.
#include "tables.hpp"

#include "portable_math.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace recoverysim::cli {

using analysis::Interval;

namespace {

// Three significant digits without exponents: 0.461, 52.5, 157476.
int decimals_for(double x) {
  if (!std::isfinite(x) || x == 0.0) return 3;
  return std::clamp(2 - portable::decimal_exponent(std::fabs(x)), 0, 6);
}

std::string fixed(double x, int decimals) {
  if (std::isnan(x)) return "n/a";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, x);
  std::string s = buffer;
  // A value that rounds to zero prints as 0, never -0.000.
  if (s.find_first_not_of("-0.") == std::string::npos) return "0";
  return s;
}

// "mean [low, high]", all three with the decimals that show three significant digits of the
// largest of them.
std::string with_interval(const Interval& i) {
  if (std::isnan(i.estimate)) return "n/a";
  if (std::isinf(i.estimate)) return i.estimate > 0 ? "not reached" : "-inf";
  double largest = std::fabs(i.estimate);
  if (!std::isnan(i.low)) largest = std::max({largest, std::fabs(i.low), std::fabs(i.high)});
  const int d = decimals_for(largest);
  if (std::isnan(i.low) || std::isnan(i.high)) return fixed(i.estimate, d) + " [n/a]";
  return fixed(i.estimate, d) + " [" + fixed(i.low, d) + ", " + fixed(i.high, d) + "]";
}

// Shortest text that reads back to the same double; `null` for NaN in JSON.
std::string exact(double x, bool json) {
  if (std::isnan(x)) return json ? "null" : "nan";
  if (std::isinf(x)) return json ? "null" : (x > 0 ? "inf" : "-inf");
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, r.ptr);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += std::string("\\") + c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else out += c;
  }
  return out + "\"";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The sweep paths of a file, in the order they first appear: the columns that locate an arm.
std::vector<std::string> sweep_paths(const Analysis& a) {
  std::vector<std::string> paths;
  for (const auto& arm : a.arms)
    for (const auto& [path, value] : arm.sweep_point)
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  return paths;
}

std::string sweep_value(const ArmAnalysis& arm, const std::string& path) {
  for (const auto& [p, value] : arm.sweep_point)
    if (p == path) return value;
  return "";
}

// A table of text cells, printed aligned (numbers to the right) or as Markdown. An aligned
// table wider than a terminal's 120 columns is printed in parts of columns that fit, each with
// the first column again.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  static constexpr std::size_t max_width = 120;

  void print(std::ostream& out, bool markdown) const {
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      width[c] = header[c].size();
      for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
    }
    std::size_t total = 0;
    for (auto w : width) total += w + 2;
    if (!markdown && total > max_width + 2 && header.size() > 2) {
      // Columns 1.. in parts whose width, with the first column, fits.
      std::vector<std::vector<std::size_t>> parts(1);
      std::size_t used = width[0];
      for (std::size_t c = 1; c < header.size(); ++c) {
        if (!parts.back().empty() && used + 2 + width[c] > max_width) {
          parts.emplace_back();
          used = width[0];
        }
        parts.back().push_back(c);
        used += 2 + width[c];
      }
      for (std::size_t p = 0; p < parts.size(); ++p) {
        TextTable part;
        const auto pick = [&](const std::vector<std::string>& cells) {
          std::vector<std::string> picked = {cells[0]};
          for (const std::size_t c : parts[p]) picked.push_back(cells[c]);
          return picked;
        };
        part.header = pick(header);
        for (const auto& row : rows) part.rows.push_back(pick(row));
        if (p > 0) out << "\n";
        part.print(out, false);
      }
      return;
    }
    const auto line = [&](const std::vector<std::string>& cells) {
      std::string s = markdown ? "| " : "";
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::size_t pad = width[c] - cells[c].size();
        // The first column (arm names) left-aligned, figures right-aligned.
        const std::string cell = c == 0 ? cells[c] + std::string(pad, ' ') : std::string(pad, ' ') + cells[c];
        s += cell + (c + 1 < cells.size() ? (markdown ? " | " : "  ") : (markdown ? " |" : ""));
      }
      out << s << "\n";
    };
    line(header);
    if (markdown) {
      std::string s = "|";
      for (std::size_t c = 0; c < header.size(); ++c)
        s += (c == 0 ? " :" : " ") + std::string(width[c] - 1, '-') + (c == 0 ? " |" : ": |");
      out << s << "\n";
    } else {
      out << std::string(total - 2, '-') << "\n";
    }
    for (const auto& row : rows) line(row);
  }
};

// The module metrics among the arms' quantities that end in one of `metrics` (e.g.
// `peer_mentor.queue_length` for ".queue_length"), in the order they first appear.
std::vector<std::string> module_metrics(const Analysis& a, const std::vector<std::string>& metrics) {
  std::vector<std::string> names;
  for (const auto& arm : a.arms)
    for (const auto& n : arm.quantity_names)
      for (const auto& metric : metrics)
        if (n.size() > metric.size() && n.compare(n.size() - metric.size(), metric.size(), metric) == 0 &&
            std::find(names.begin(), names.end(), n) == names.end())
          names.push_back(n);
  return names;
}

// The latest relapse milestone within the horizon (`relapse_by_day_365`), or `relapses`.
std::string relapse_quantity(const Analysis& a) {
  std::string relapse = "relapses";
  for (const auto& n : a.arms.front().quantity_names)
    if (n.rfind("relapse_by_day_", 0) == 0 && n.find_first_not_of("0123456789", 15) == std::string::npos) relapse = n;
  return relapse;
}

// The headline quantities: the latest relapse milestone, completion, abstinence, cost, and the
// per-person waits of the modules present.
std::vector<std::string> headline(const Analysis& a) {
  std::vector<std::string> names = {relapse_quantity(a), "first_episode_completion", "percent_days_abstinent",
                                    "cost_per_participant"};
  for (const auto& n : module_metrics(a, {".wait_mean_days", ".wait_p90_days", ".utilisation"})) names.push_back(n);
  return names;
}

Interval quantity_of(const ArmAnalysis& arm, const std::string& name) {
  const int k = arm.find(name);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  return k < 0 ? Interval{nan, nan, nan} : arm.quantities[static_cast<std::size_t>(k)];
}

Interval row_of(const ArmAnalysis& arm, const std::vector<Interval>& rows, const std::string& name) {
  const int k = arm.find(name);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  return k < 0 ? Interval{nan, nan, nan} : rows[static_cast<std::size_t>(k)];
}

}  // namespace

Format parse_format(const std::string& name) {
  if (name == "csv") return Format::csv;
  if (name == "markdown") return Format::markdown;
  if (name == "json") return Format::json;
  return Format::table;
}

void print_summary(std::ostream& out, const Analysis& a, const std::string& scenario_name, Format format,
                   std::vector<std::string> quantities) {
  const bool all = quantities.empty();
  if (all && (format == Format::table || format == Format::markdown)) quantities = headline(a);
  if (all && (format == Format::csv || format == Format::json)) quantities = a.arms.front().quantity_names;
  // Quantities only some arms have (module metrics) follow, in the order they appear.
  if (all && (format == Format::csv || format == Format::json))
    for (const auto& arm : a.arms)
      for (const auto& n : arm.quantity_names)
        if (std::find(quantities.begin(), quantities.end(), n) == quantities.end()) quantities.push_back(n);

  switch (format) {
    case Format::table:
    case Format::markdown: {
      TextTable t;
      t.header = {"arm"};
      for (const auto& q : quantities) t.header.push_back(q);
      for (const auto& arm : a.arms) {
        std::vector<std::string> row = {arm.name};
        for (const auto& q : quantities) row.push_back(arm.find(q) < 0 ? "-" : with_interval(quantity_of(arm, q)));
        t.rows.push_back(std::move(row));
      }
      if (format == Format::table)
        out << scenario_name << ": mean over " << a.replicates << " replicate(s) [95% interval]\n\n";
      t.print(out, format == Format::markdown);
      break;
    }
    case Format::csv: {
      const auto paths = sweep_paths(a);
      out << "arm";
      for (const auto& path : paths) out << "," << csv_field(path);
      out << ",quantity,mean,ci_low,ci_high,replicates\n";
      for (const auto& arm : a.arms)
        for (const auto& q : quantities) {
          if (arm.find(q) < 0) continue;
          const Interval i = quantity_of(arm, q);
          out << csv_field(arm.name);
          for (const auto& path : paths) out << "," << csv_field(sweep_value(arm, path));
          out << "," << q << "," << exact(i.estimate, false) << "," << exact(i.low, false) << ","
              << exact(i.high, false) << "," << a.replicates << "\n";
        }
      break;
    }
    case Format::json: {
      out << "{\"scenario\": " << json_string(scenario_name) << ", \"replicates\": " << a.replicates
          << ", \"reference\": " << json_string(a.reference) << ", \"arms\": [";
      for (std::size_t n = 0; n < a.arms.size(); ++n) {
        const auto& arm = a.arms[n];
        out << (n ? ", " : "") << "\n  {\"name\": " << json_string(arm.name)
            << ", \"sweep_base\": " << json_string(arm.sweep_base) << ", \"sweep_point\": {";
        for (std::size_t k = 0; k < arm.sweep_point.size(); ++k)
          out << (k ? ", " : "") << json_string(arm.sweep_point[k].first) << ": "
              << json_string(arm.sweep_point[k].second);
        out << "}, \"quantities\": {";
        bool first = true;
        for (const auto& q : quantities) {
          if (arm.find(q) < 0) continue;
          const Interval i = quantity_of(arm, q);
          out << (first ? "" : ", ") << "\n    " << json_string(q) << ": {\"mean\": " << exact(i.estimate, true)
              << ", \"ci_low\": " << exact(i.low, true) << ", \"ci_high\": " << exact(i.high, true) << "}";
          first = false;
        }
        out << "}}";
      }
      out << "\n]}\n";
      break;
    }
  }
}

void print_by_period(std::ostream& out, const Analysis& a, const std::string& scenario_name, Format format,
                     std::vector<std::string> quantities) {
  const ArmAnalysis& first = a.arms.front();
  if (quantities.empty()) {
    quantities = {relapse_quantity(a), "first_episode_completion"};
    for (const auto& arm : a.arms)
      for (const auto& n : arm.period_quantity_names)
        if (n.ends_with(".wait_mean_days") && std::find(quantities.begin(), quantities.end(), n) == quantities.end())
          quantities.push_back(n);
  }
  const auto has = [](const ArmAnalysis& arm, const std::string& q) {
    return std::find(arm.period_quantity_names.begin(), arm.period_quantity_names.end(), q) !=
           arm.period_quantity_names.end();
  };
  const auto interval_of = [](const ArmAnalysis& arm, std::size_t period, const std::string& q) {
    const auto it = std::find(arm.period_quantity_names.begin(), arm.period_quantity_names.end(), q);
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (it == arm.period_quantity_names.end() || period >= arm.by_period.size()) return Interval{nan, nan, nan};
    return arm.by_period[period][static_cast<std::size_t>(it - arm.period_quantity_names.begin())];
  };
  const std::vector<std::string>& periods = first.period_labels;
  switch (format) {
    case Format::table:
    case Format::markdown:
      if (format == Format::table)
        out << scenario_name << ": outcomes by admission period, mean over " << a.replicates
            << " replicate(s) [95% interval]\n";
      for (const auto& q : quantities) {
        TextTable t;
        t.header = {"arm"};
        for (const auto& p : periods) t.header.push_back(p);
        for (const auto& arm : a.arms) {
          std::vector<std::string> row = {arm.name};
          for (std::size_t p = 0; p < periods.size(); ++p) {
            const Interval i = interval_of(arm, p, q);
            row.push_back(has(arm, q) ? with_interval(i) : "-");
          }
          t.rows.push_back(std::move(row));
        }
        out << "\n" << (format == Format::markdown ? "**" + q + "**\n\n" : q + "\n");
        t.print(out, format == Format::markdown);
      }
      break;
    case Format::csv: {
      const auto paths = sweep_paths(a);
      out << "arm";
      for (const auto& path : paths) out << "," << csv_field(path);
      out << ",period,quantity,mean,ci_low,ci_high,replicates\n";
      for (const auto& arm : a.arms)
        for (std::size_t p = 0; p < periods.size(); ++p)
          for (const auto& q : quantities) {
            if (!has(arm, q)) continue;
            const Interval i = interval_of(arm, p, q);
            out << csv_field(arm.name);
            for (const auto& path : paths) out << "," << csv_field(sweep_value(arm, path));
            out << "," << csv_field(periods[p]) << "," << q << "," << exact(i.estimate, false) << ","
                << exact(i.low, false) << "," << exact(i.high, false) << "," << a.replicates << "\n";
          }
      break;
    }
    case Format::json:
      out << "{\"scenario\": " << json_string(scenario_name) << ", \"replicates\": " << a.replicates
          << ", \"periods\": [";
      for (std::size_t p = 0; p < periods.size(); ++p) out << (p ? ", " : "") << json_string(periods[p]);
      out << "], \"arms\": [";
      for (std::size_t n = 0; n < a.arms.size(); ++n) {
        const auto& arm = a.arms[n];
        out << (n ? ", " : "") << "\n  {\"name\": " << json_string(arm.name) << ", \"quantities\": {";
        bool first_quantity = true;
        for (std::size_t k = 0; k < quantities.size(); ++k) {
          if (!has(arm, quantities[k])) continue;
          out << (first_quantity ? "" : ", ") << json_string(quantities[k]) << ": [";
          first_quantity = false;
          for (std::size_t p = 0; p < periods.size(); ++p) {
            const Interval i = interval_of(arm, p, quantities[k]);
            out << (p ? ", " : "") << "{\"mean\": " << exact(i.estimate, true) << ", \"ci_low\": " << exact(i.low, true)
                << ", \"ci_high\": " << exact(i.high, true) << "}";
          }
          out << "]";
        }
        out << "}}";
      }
      out << "\n]}\n";
      break;
  }
}

namespace {

// The cost-effectiveness ratio where it means something: a cost per unit gained (north-east),
// a saving per unit given up (south-west); otherwise what the comparison is.
std::string ratio_cell(const Interval& ratio, analysis::Quadrant q, const std::string& unit_lost) {
  switch (q) {
    case analysis::Quadrant::costs_more_gains: return with_interval(ratio);
    case analysis::Quadrant::saves_gains: return "dominant";
    case analysis::Quadrant::costs_more_loses: return "dominated";
    case analysis::Quadrant::saves_loses: return "saves " + with_interval(ratio) + " per " + unit_lost;
    case analysis::Quadrant::no_difference: return "-";
  }
  return "-";
}

}  // namespace

void print_comparison(std::ostream& out, const Analysis& a, const Decision& decision, const std::string& scenario_name,
                      Format format) {
  const std::string relapse = relapse_quantity(a);
  const auto& ce_names = cost_effectiveness_names();
  const auto paths = sweep_paths(a);
  // Each comparison's quadrant on the plane of cost against relapses averted.
  const auto quadrant_of = [](const ArmComparison& c) {
    return analysis::quadrant(c.cost_effectiveness[0].estimate, c.cost_effectiveness[1].estimate);
  };
  std::vector<std::string> frontier;
  for (std::size_t k = 0; k < decision.frontier.options.size(); ++k) {
    std::string step = decision.arms[decision.frontier.options[k]];
    if (k > 0) step += " (" + with_interval(decision.sequential_icer[k]) + " per " + decision.effect.unit + " more)";
    frontier.push_back(step);
  }
  if (format == Format::table || format == Format::markdown) {
    // The staffing figures of the arm itself: what the extra staff change.
    const std::vector<std::string> staffing = module_metrics(a, {".queue_length", ".wait_mean_days"});
    TextTable t;
    t.header = {"arm", "d " + relapse + " (paired)", "unpaired interval", "d first_episode_completion"};
    for (const auto& s : staffing) t.header.push_back(s);
    t.header.insert(t.header.end(), {"incremental cost", "relapses averted", "cost per relapse averted", "dominance"});
    for (const auto& c : a.comparisons) {
      const ArmAnalysis& arm = *a.arm(c.arm);
      const Interval unpaired = row_of(arm, c.unpaired_differences, relapse);
      const int d = decimals_for(std::max(std::fabs(unpaired.low), std::fabs(unpaired.high)));
      std::vector<std::string> row = {c.arm, with_interval(row_of(arm, c.paired_differences, relapse)),
                                      std::isnan(unpaired.low)
                                          ? "n/a"
                                          : "[" + fixed(unpaired.low, d) + ", " + fixed(unpaired.high, d) + "]",
                                      with_interval(row_of(arm, c.paired_differences, "first_episode_completion"))};
      for (const auto& s : staffing) row.push_back(arm.find(s) < 0 ? "-" : with_interval(quantity_of(arm, s)));
      row.insert(row.end(), {with_interval(c.cost_effectiveness[0]), with_interval(c.cost_effectiveness[1]),
                             ratio_cell(c.cost_effectiveness[3], quadrant_of(c), "relapse added"),
                             analysis::dominance_name(c.dominance)});
      t.rows.push_back(std::move(row));
    }
    if (format == Format::table)
      out << scenario_name << ": against " << a.reference << ", paired by replicate (" << a.replicates
          << " replicates; mean [95% interval]; d = arm - " << a.reference << "; costs discounted)\n\n";
    t.print(out, format == Format::markdown);
    if (format == Format::table) {
      out << "\n" << a.reference << " itself: " << analysis::dominance_name(a.reference_dominance) << ".\n";
      out << "Cost per relapse averted: incremental cost / relapses averted, shown when the arm costs more and "
             "averts more; 'dominant' saves money and averts more, 'dominated' costs more and averts fewer; n/a "
             "when the sign of the effect is not settled.\n";
      out << "Efficient frontier (" << decision.effect.units << ", in order of cost): ";
      for (std::size_t k = 0; k < frontier.size(); ++k) out << (k ? " -> " : "") << frontier[k];
      out << "\n";
    }
    return;
  }
  if (format == Format::csv) {
    out << "arm";
    for (const auto& path : paths) out << "," << csv_field(path);
    out << ",dominance,quadrant,measure,quantity,mean,ci_low,ci_high\n";
    for (const auto& c : a.comparisons) {
      const ArmAnalysis& arm = *a.arm(c.arm);
      std::string prefix = csv_field(c.arm);
      for (const auto& path : paths) prefix += "," + csv_field(sweep_value(arm, path));
      prefix += "," + csv_field(analysis::dominance_name(c.dominance)) + "," +
                csv_field(analysis::quadrant_name(quadrant_of(c)));
      const auto emit = [&](const std::string& measure, const std::string& q, const Interval& i) {
        out << prefix << "," << measure << "," << q << "," << exact(i.estimate, false) << "," << exact(i.low, false)
            << "," << exact(i.high, false) << "\n";
      };
      for (std::size_t k = 0; k < ce_names.size(); ++k)
        emit("cost_effectiveness", ce_names[k], c.cost_effectiveness[k]);
      for (std::size_t k = 0; k < arm.quantity_names.size(); ++k) {
        emit("paired_difference", arm.quantity_names[k], c.paired_differences[k]);
        emit("unpaired_difference", arm.quantity_names[k], c.unpaired_differences[k]);
        emit("ratio", arm.quantity_names[k], c.ratios[k]);
      }
    }
    return;
  }
  // JSON
  const auto interval = [&](const Interval& i) {
    return "{\"mean\": " + exact(i.estimate, true) + ", \"ci_low\": " + exact(i.low, true) +
           ", \"ci_high\": " + exact(i.high, true) + "}";
  };
  out << "{\"scenario\": " << json_string(scenario_name) << ", \"replicates\": " << a.replicates
      << ", \"reference\": " << json_string(a.reference)
      << ", \"reference_dominance\": " << json_string(analysis::dominance_name(a.reference_dominance))
      << ", \"effect\": " << json_string(decision.effect.name) << ", \"frontier\": [";
  for (std::size_t k = 0; k < decision.frontier.options.size(); ++k)
    out << (k ? ", " : "") << "{\"arm\": " << json_string(decision.arms[decision.frontier.options[k]])
        << ", \"sequential_icer\": " << interval(decision.sequential_icer[k]) << "}";
  out << "], \"arms\": [";
  for (std::size_t n = 0; n < a.comparisons.size(); ++n) {
    const auto& c = a.comparisons[n];
    const ArmAnalysis& arm = *a.arm(c.arm);
    out << (n ? ", " : "") << "\n  {\"name\": " << json_string(c.arm) << ", \"sweep_point\": {";
    for (std::size_t k = 0; k < arm.sweep_point.size(); ++k)
      out << (k ? ", " : "") << json_string(arm.sweep_point[k].first) << ": " << json_string(arm.sweep_point[k].second);
    out << "}, \"dominance\": " << json_string(analysis::dominance_name(c.dominance))
        << ", \"quadrant\": " << json_string(analysis::quadrant_name(quadrant_of(c))) << ", \"cost_effectiveness\": {";
    for (std::size_t k = 0; k < ce_names.size(); ++k)
      out << (k ? ", " : "") << json_string(ce_names[k]) << ": " << interval(c.cost_effectiveness[k]);
    out << "},\n   \"paired_differences\": {";
    for (std::size_t k = 0; k < arm.quantity_names.size(); ++k)
      out << (k ? ", " : "") << json_string(arm.quantity_names[k]) << ": " << interval(c.paired_differences[k]);
    out << "},\n   \"unpaired_differences\": {";
    for (std::size_t k = 0; k < arm.quantity_names.size(); ++k)
      out << (k ? ", " : "") << json_string(arm.quantity_names[k]) << ": " << interval(c.unpaired_differences[k]);
    out << "},\n   \"ratios\": {";
    for (std::size_t k = 0; k < arm.quantity_names.size(); ++k)
      out << (k ? ", " : "") << json_string(arm.quantity_names[k]) << ": " << interval(c.ratios[k]);
    out << "}}";
  }
  out << "\n]}\n";
}

void print_recommendation(std::ostream& out, const Analysis& a, const Decision& decision, const Recommendation& rec,
                          const std::string& scenario_name, Format format) {
  const auto& c = rec.constraints;
  const std::string per_unit = " per " + decision.effect.unit;
  const auto money = [](double x) { return fixed(x, decimals_for(x)); };
  const auto describe_arm = [&](int index) {
    const ArmAnalysis& arm = a.arms[static_cast<std::size_t>(index)];
    std::string s = arm.name;
    if (!arm.sweep_point.empty()) {
      s += " (";
      for (std::size_t k = 0; k < arm.sweep_point.size(); ++k)
        s += (k ? ", " : "") + arm.sweep_point[k].first + " = " + arm.sweep_point[k].second;
      s += ")";
    }
    return s;
  };
  const bool wait = std::isfinite(c.max_wait_days), budget = std::isfinite(c.budget_per_year);
  if (format == Format::json) {
    out << "{\"scenario\": " << json_string(scenario_name) << ", \"replicates\": " << a.replicates
        << ", \"effect\": " << json_string(decision.effect.name) << ", \"willingness_to_pay\": " << exact(c.wtp, true)
        << ", \"confidence\": " << exact(c.confidence, true)
        << ", \"budget_per_year\": " << exact(c.budget_per_year, true)
        << ", \"max_wait_days\": " << exact(c.max_wait_days, true)
        << ", \"wait_quantile\": " << exact(c.wait_quantile, true) << ", \"recommended\": "
        << (rec.recommended >= 0 ? json_string(a.arms[static_cast<std::size_t>(rec.recommended)].name) : "null")
        << ", \"runner_up\": "
        << (rec.runner_up >= 0 ? json_string(a.arms[static_cast<std::size_t>(rec.runner_up)].name) : "null")
        << ", \"warning\": " << (rec.edge_warning.empty() ? "null" : json_string(rec.edge_warning)) << ", \"rule\": [";
    for (std::size_t k = 0; k < rec.rule.size(); ++k) out << (k ? ", " : "") << json_string(rec.rule[k]);
    out << "], \"arms\": [";
    for (std::size_t k = 0; k < rec.arms.size(); ++k) {
      const auto& v = rec.arms[k];
      out << (k ? ", " : "") << "\n  {\"name\": " << json_string(v.arm)
          << ", \"feasible\": " << (v.feasible ? "true" : "false")
          << ", \"net_monetary_benefit\": {\"mean\": " << exact(v.net_benefit.estimate, true)
          << ", \"ci_low\": " << exact(v.net_benefit.low, true) << ", \"ci_high\": " << exact(v.net_benefit.high, true)
          << "}, \"budget_share\": " << exact(v.budget_share, true) << ", \"wait_share\": " << exact(v.wait_share, true)
          << ", \"mean_wait_days\": " << exact(v.mean_wait, true)
          << ", \"probability_best\": " << exact(v.probability_best, true)
          << ", \"probability_best_se\": " << exact(v.probability_best_se, true) << "}";
    }
    out << "\n]}\n";
    return;
  }
  out << scenario_name << ": recommendation at a willingness to pay of " << money(c.wtp) << per_unit << " ("
      << a.replicates << " replicates)\n\n";
  if (rec.recommended < 0) {
    out << "No arm meets every requirement: relax the budget or the wait limit, or try more staff.\n";
  } else {
    const auto& v = rec.arms[static_cast<std::size_t>(rec.recommended)];
    out << "Recommended: " << describe_arm(rec.recommended) << "\n  net monetary benefit "
        << with_interval(v.net_benefit) << " against " << a.reference
        << "; the best of the arms that meet the requirements in ";
    // At 0 or 1 the binomial SE is 0, which would read as certainty: say how many replicates.
    if (v.probability_best >= 1.0)
      out << "all " << a.replicates << " replicates (a 95% lower bound of "
          << fixed(100.0 * std::max(0.0, 1.0 - 3.0 / static_cast<double>(a.replicates)), 0)
          << "%, by the rule of three)\n";
    else
      out << fixed(100.0 * v.probability_best, 0) << "% of replicates (Monte Carlo SE "
          << fixed(100.0 * v.probability_best_se, 0) << "%)\n";
    if (rec.runner_up >= 0) {
      const auto& u = rec.arms[static_cast<std::size_t>(rec.runner_up)];
      out << "Runner-up: " << describe_arm(rec.runner_up) << "\n  net monetary benefit " << with_interval(u.net_benefit)
          << "; best in " << fixed(100.0 * u.probability_best, 0) << "% of replicates\n";
    }
  }
  if (!rec.edge_warning.empty()) out << "\nwarning: " << rec.edge_warning << "\n";
  TextTable t;
  t.header = {"arm", "net monetary benefit"};
  if (budget) t.header.insert(t.header.end(), {"staff cost a year", "within budget"});
  if (wait)
    t.header.insert(t.header.end(), {"wait p" + recovery::quantile_name(c.wait_quantile) + " (days)", "within wait"});
  t.header.insert(t.header.end(), {"meets all", "best in"});
  for (std::size_t k = 0; k < rec.arms.size(); ++k) {
    const auto& v = rec.arms[k];
    std::vector<std::string> row = {v.arm, with_interval(v.net_benefit)};
    if (budget) {
      row.push_back(with_interval(quantity_of(a.arms[k], "cost_per_year")));
      row.push_back(fixed(100.0 * v.budget_share, 0) + "%");
    }
    if (wait) {
      row.push_back(std::isnan(v.mean_wait)   ? "no queue"
                    : std::isinf(v.mean_wait) ? "not reached"
                                              : fixed(v.mean_wait, decimals_for(v.mean_wait)));
      row.push_back(fixed(100.0 * v.wait_share, 0) + "%");
    }
    row.push_back(v.feasible ? "yes" : "no");
    row.push_back(v.feasible ? fixed(100.0 * v.probability_best, 0) + "%" : "-");
    t.rows.push_back(std::move(row));
  }
  out << "\n";
  t.print(out, format == Format::markdown);
  out << "\nHow this was decided:\n";
  for (const auto& sentence : rec.rule) out << "- " << sentence << "\n";
}

}  // namespace recoverysim::cli
