// Reading and writing `analysis.outcomes` (see outcome_file.hpp; the keys are documented in
// docs/scenario-reference.md and their estimands in docs/output.md).
#include "outcome_file.hpp"

#include "models/recovery/intervention.hpp"
#include "models/registry.hpp"
#include "scenario_file.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

namespace recoverysim {

using namespace recovery;

namespace {

const std::vector<std::string> outcome_keys = {"name",
                                               "statistic",
                                               "event",
                                               "competing",
                                               "origin",
                                               "occurrence",
                                               "days",
                                               "restricted_mean_days",
                                               "quantiles",
                                               "subgroup",
                                               "state",
                                               "split",
                                               "after_leaving_days",
                                               "window",
                                               "of",
                                               "arms"};
const std::vector<std::string> statistic_names = {"cumulative_incidence", "state_share", "rate", "ratio", "difference"};
const std::vector<std::string> split_names = {"none", "treatment_status", "after_leaving"};
const std::vector<std::string> subgroup_names = {
    "substance",           "mental_health", "severity",  "baseline_support",
    "baseline_engagement", "admission_day", "age_years", "sex"};
const std::vector<std::string> sex_names = {"female", "male"};
constexpr double max_age_years = 120.0;
constexpr std::int32_t max_days = max_day_count;

// Everything about one definition's mapping: where it is and how to name its keys in messages.
struct Reader {
  const YAML::Node& map;
  const std::string& file;
  std::string shown;  // analysis.outcomes[3]

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& message) const {
    throw InputError(location_of(file, at), shown + (key.empty() ? "" : "." + key) + ": " + message);
  }
  YAML::Node get(const std::string& key) const { return map[key]; }

  std::int32_t integer(const YAML::Node& node, const std::string& key, std::int32_t low, std::int32_t high) const {
    if (!node.IsScalar())
      fail(node, key,
           "expected an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " + describe(node));
    long long v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(node.Scalar(), &used);
      if (used != node.Scalar().size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      fail(node, key,
           "expected an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " + describe(node));
    }
    if (v < low || v > high)
      fail(node, key,
           "expected an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " + node.Scalar());
    return static_cast<std::int32_t>(v);
  }
  double real(const YAML::Node& node, const std::string& key, double low, double high) const {
    const std::string expected = "expected a number in [" + format_value(low) + ", " + format_value(high) + "]";
    if (!node.IsScalar()) fail(node, key, expected + ", got " + describe(node));
    double v = 0.0;
    try {
      std::size_t used = 0;
      v = std::stod(node.Scalar(), &used);
      if (used != node.Scalar().size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      fail(node, key, expected + ", got " + describe(node));
    }
    if (!(v >= low && v <= high)) fail(node, key, expected + ", got " + node.Scalar());
    return v;
  }
  std::string choice(const YAML::Node& node, const std::string& key, const std::vector<std::string>& names) const {
    if (!node.IsScalar()) fail(node, key, "expected one of " + join_names(names) + ", got " + describe(node));
    if (std::find(names.begin(), names.end(), node.Scalar()) == names.end()) {
      const std::string hint = closest_match(node.Scalar(), names);
      fail(node, key,
           "unknown value '" + node.Scalar() + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
               "; expected one of " + join_names(names));
    }
    return node.Scalar();
  }
  // A scalar or a list of scalars, as a list.
  std::vector<YAML::Node> one_or_more(const YAML::Node& node, const std::string& key) const {
    std::vector<YAML::Node> items;
    if (node.IsScalar()) items.push_back(node);
    else if (node.IsSequence() && node.size() > 0)
      for (const auto& item : node) {
        if (!item.IsScalar()) fail(item, key, "expected a name, got " + describe(item));
        items.push_back(item);
      }
    else fail(node, key, "expected a name or a list of names, got " + describe(node));
    return items;
  }
  const EventName& event(const YAML::Node& node, const std::string& key) const {
    const auto& vocabulary = event_vocabulary();
    for (const auto& e : vocabulary)
      if (e.name == node.Scalar()) return e;
    std::vector<std::string> names;
    for (const auto& e : vocabulary) names.push_back(e.name);
    const std::string hint = closest_match(node.Scalar(), names);
    fail(node, key,
         "unknown event '" + node.Scalar() + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
             "; events: " + join_names(names));
  }
};

std::string as_text(double x) { return format_value(x); }

void read_subgroup(const Reader& r, const YAML::Node& node, OutcomeDefinition& d) {
  using A = SubgroupCondition::Attribute;
  if (!node.IsMap() || node.size() == 0)
    r.fail(node, "subgroup",
           "expected a mapping of attributes to values, e.g. {substance: opioid}, got " + describe(node));
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string key = "subgroup." + entry.first.Scalar();
    const std::string attribute = r.choice(entry.first, "subgroup", subgroup_names);
    if (!seen.insert(attribute).second) r.fail(entry.first, key, "given twice");
    SubgroupCondition c;
    c.attribute =
        static_cast<A>(std::find(subgroup_names.begin(), subgroup_names.end(), attribute) - subgroup_names.begin());
    const YAML::Node value = entry.second;
    if (c.attribute == A::substance) {
      std::vector<std::string> names(substance_names.begin(), substance_names.end());
      for (const auto& item : r.one_or_more(value, key)) {
        const std::string s = r.choice(item, key, names);
        c.codes.push_back(static_cast<std::int32_t>(std::find(names.begin(), names.end(), s) - names.begin()));
      }
    } else if (c.attribute == A::mental_health) {
      for (const auto& item : r.one_or_more(value, key)) {
        const std::string v = item.Scalar();
        if (v == "1" || v == "true") c.codes.push_back(1);
        else if (v == "0" || v == "false") c.codes.push_back(0);
        else r.fail(item, key, "expected 0 or 1, got " + describe(item));
      }
    } else if (c.attribute == A::sex) {
      for (const auto& item : r.one_or_more(value, key)) {
        const std::string v = r.choice(item, key, sex_names);
        c.codes.push_back(
            static_cast<std::int32_t>(std::find(sex_names.begin(), sex_names.end(), v) - sex_names.begin()));
      }
    } else if (c.attribute == A::age_years) {
      if (!value.IsSequence() || value.size() != 2)
        r.fail(value, key, "expected [low, high] (years: low <= age at admission < high), got " + describe(value));
      c.low = r.real(value[0], key, 0.0, max_age_years);
      c.high = r.real(value[1], key, 0.0, max_age_years + 1.0);
      if (!(c.high > c.low))
        r.fail(value, key, "expected low < high, got [" + as_text(c.low) + ", " + as_text(c.high) + "]");
    } else {
      const bool days = c.attribute == A::admission_day;
      if (!value.IsSequence() || value.size() != 2)
        r.fail(value, key,
               std::string("expected [low, high] (") +
                   (days ? "days: low <= admission day < high" : "low <= value < high, or <= 1 when high is 1") +
                   "), got " + describe(value));
      const double top = days ? static_cast<double>(max_days) : 1.0;
      c.low = r.real(value[0], key, 0.0, top);
      c.high = r.real(value[1], key, 0.0, days ? top + 1.0 : top);
      if (!(c.high > c.low))
        r.fail(value, key, "expected low < high, got [" + as_text(c.low) + ", " + as_text(c.high) + "]");
      // The unit attributes include 1 when high is 1: [0.5, 1] takes every value from 0.5 up.
      if (!days && c.high >= 1.0) c.high = std::nextafter(1.0, 2.0);
    }
    d.subgroup.push_back(std::move(c));
  }
}

OutcomeDefinition read_one(const Reader& r) {
  OutcomeDefinition d;
  d.where = r.shown;
  for (const auto& entry : r.map) {
    const std::string key = entry.first.Scalar();
    if (std::find(outcome_keys.begin(), outcome_keys.end(), key) == outcome_keys.end()) {
      const std::string hint = closest_match(key, outcome_keys);
      r.fail(entry.first, key,
             "unknown key" +
                 (hint.empty() ? "; valid keys: " + join_names(outcome_keys) : " (did you mean '" + hint + "'?)"));
    }
  }
  const YAML::Node name = r.get("name");
  static const std::regex valid("[A-Za-z][A-Za-z0-9_]{0,63}");
  if (!name || !name.IsScalar() || !std::regex_match(name.Scalar(), valid))
    r.fail(name ? name : r.map, "name",
           "expected a name of letters, digits and _ starting with a letter (at most 64), got " +
               (name ? describe(name) : std::string("nothing")));
  d.name = name.Scalar();
  if (const YAML::Node s = r.get("statistic"))
    d.statistic = static_cast<OutcomeStatistic>(
        std::find(statistic_names.begin(), statistic_names.end(), r.choice(s, "statistic", statistic_names)) -
        statistic_names.begin());
  const bool contrast = d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference;
  const bool time_to_event = d.statistic == OutcomeStatistic::cumulative_incidence;
  const bool rate = d.statistic == OutcomeStatistic::rate;
  const bool state = d.statistic == OutcomeStatistic::state_share;

  // Keys that belong to other statistics are mistakes, not silently ignored.
  const auto only_for = [&](const std::string& key, bool allowed, const std::string& which) {
    if (const YAML::Node node = r.get(key); node && !allowed)
      r.fail(node, key,
             "applies only to statistic " + which + " (this outcome's statistic is " +
                 statistic_names[static_cast<std::size_t>(d.statistic)] + ")");
  };
  only_for("event", time_to_event || rate, "cumulative_incidence or rate");
  only_for("competing", time_to_event, "cumulative_incidence");
  only_for("origin", !contrast, "cumulative_incidence, state_share or rate");
  only_for("days", time_to_event || state, "cumulative_incidence or state_share");
  only_for("restricted_mean_days", time_to_event, "cumulative_incidence");
  only_for("quantiles", time_to_event, "cumulative_incidence");
  only_for("subgroup", !contrast, "cumulative_incidence, state_share or rate");
  only_for("state", state, "state_share");
  only_for("split", rate, "rate");
  only_for("after_leaving_days", rate, "rate");
  only_for("window", rate, "rate");
  only_for("of", contrast, "ratio or difference");
  only_for("arms", contrast, "ratio or difference");

  if (time_to_event || rate) {
    const YAML::Node event = r.get("event");
    if (!event)
      r.fail(r.map, "event", "missing: name the event (e.g. relapse, died, episode_end, peer_mentor.matched)");
    std::vector<EventCode> codes;
    for (const auto& item : r.one_or_more(event, "event")) {
      const EventName& e = r.event(item, "event");
      d.event_text.push_back(e.name);
      codes.insert(codes.end(), e.codes.begin(), e.codes.end());
    }
    std::string joined;
    for (const auto& t : d.event_text) joined += (joined.empty() ? "" : "+") + t;
    d.causes.push_back(codes);
    d.cause_names.push_back(joined);
  }
  if (time_to_event) {
    std::vector<std::pair<YAML::Node, const EventName*>> competing;
    if (const YAML::Node node = r.get("competing")) {
      if (node.IsSequence() && node.size() == 0) {
        // an empty list: nothing competes (deaths then end the follow-up as censoring)
      } else {
        for (const auto& item : r.one_or_more(node, "competing"))
          competing.emplace_back(item, &r.event(item, "competing"));
      }
    } else {
      // By default death competes: `died`, or for a death of one cause, the other cause.
      const auto has = [&](EventCode c) {
        return std::find(d.causes[0].begin(), d.causes[0].end(), c) != d.causes[0].end();
      };
      static const EventName died{"died", {event_code_died}, "", ""};
      static const EventName died_other{"died_other_causes", {event_code_died_other_causes}, "", ""};
      static const EventName died_substance{"died_substance_related", {event_code_died_substance_related}, "", ""};
      const bool other = has(event_code_died_other_causes), substance = has(event_code_died_substance_related);
      if (other && !substance) competing.emplace_back(r.map, &died_substance);
      else if (substance && !other) competing.emplace_back(r.map, &died_other);
      else if (!other && !substance && !has(event_code_died)) competing.emplace_back(r.map, &died);
    }
    for (const auto& [node, e] : competing) {
      for (const auto& codes : d.causes)
        for (const EventCode c : e->codes)
          if (std::find(codes.begin(), codes.end(), c) != codes.end())
            r.fail(node, "competing", "'" + e->name + "' is already the event or another competing cause");
      d.causes.push_back(e->codes);
      d.cause_names.push_back(e->name);
    }
  }
  if (time_to_event || rate) {
    // `died` and a death of a given cause are reported together: one definition names one or the other.
    bool died = false, by_cause = false;
    for (const auto& codes : d.causes)
      for (const EventCode c : codes) {
        died = died || c == event_code_died;
        by_cause = by_cause || c == event_code_died_other_causes || c == event_code_died_substance_related;
      }
    if (died && by_cause)
      r.fail(r.map, "event",
             "names both 'died' and a death of a given cause (died_other_causes, died_substance_related), "
             "which are reported together: use one or the other");
  }

  if (!contrast) {
    if (const YAML::Node origin = r.get("origin")) {
      if (!origin.IsScalar())
        r.fail(origin, "origin", "expected arrival, day0 or an event name, got " + describe(origin));
      const std::string text = origin.Scalar();
      d.origin.text = text;
      if (text == "arrival") d.origin.kind = Origin::Kind::arrival;
      else if (text == "day0") d.origin.kind = Origin::Kind::day0;
      else {
        d.origin.kind = Origin::Kind::event;
        d.origin.codes = r.event(origin, "origin").codes;
      }
    } else {
      d.origin.text = "arrival";
    }
    if (const YAML::Node occurrence = r.get("occurrence")) {
      if (d.origin.kind != Origin::Kind::event)
        r.fail(occurrence, "occurrence", "applies only to an event origin (origin: arrival and day0 happen once)");
      d.origin.occurrence = r.integer(occurrence, "occurrence", 1, 255);
    }
    if (const YAML::Node subgroup = r.get("subgroup")) read_subgroup(r, subgroup, d);
  }

  const auto read_days = [&](const YAML::Node& node) {
    if (!node.IsSequence() || node.size() == 0)
      r.fail(node, "days", "expected a list of days, e.g. [30, 180], got " + describe(node));
    for (const auto& item : node) {
      const std::int32_t day = r.integer(item, "days", 1, max_days);
      if (std::find(d.days.begin(), d.days.end(), day) != d.days.end())
        r.fail(item, "days", "day " + std::to_string(day) + " given twice");
      d.days.push_back(day);
    }
  };
  if (time_to_event) {
    if (const YAML::Node days = r.get("days")) read_days(days);
    if (const YAML::Node tau = r.get("restricted_mean_days"))
      d.restricted_mean_days = r.integer(tau, "restricted_mean_days", 1, max_days);
    if (const YAML::Node quantiles = r.get("quantiles")) {
      if (!quantiles.IsSequence() || quantiles.size() == 0)
        r.fail(quantiles, "quantiles",
               "expected a list of shares in (0, 1], e.g. [0.5, 0.9], got " + describe(quantiles));
      for (const auto& item : quantiles) {
        const double q = r.real(item, "quantiles", 0.0, 1.0);
        if (q <= 0.0) r.fail(item, "quantiles", "expected a share in (0, 1], got " + item.Scalar());
        d.quantiles.push_back(q);
      }
    }
    if (d.days.empty() && d.restricted_mean_days == 0 && d.quantiles.empty())
      r.fail(r.map, "days", "missing: give days (e.g. [30, 180]), restricted_mean_days or quantiles");
  }
  if (state) {
    const YAML::Node days = r.get("days");
    if (!days) r.fail(r.map, "days", "missing: the days after the origin to report the share on, e.g. [180, 365]");
    read_days(days);
    const YAML::Node node = r.get("state");
    std::vector<std::string> names;
    for (const auto& s : named_state_sets()) names.push_back(s.name);
    if (!node) r.fail(r.map, "state", "missing: one of " + join_names(names));
    d.state_name = r.choice(node, "state", names);
    for (const auto& s : named_state_sets())
      if (s.name == d.state_name) d.state = s.set;
  }
  if (rate) {
    if (const YAML::Node split = r.get("split")) {
      const std::string s = r.choice(split, "split", split_names);
      d.split = static_cast<RateSplit>(std::find(split_names.begin(), split_names.end(), s) - split_names.begin());
    }
    const YAML::Node after = r.get("after_leaving_days");
    if (d.split == RateSplit::after_leaving) {
      if (!after)
        r.fail(r.map, "after_leaving_days", "missing: split: after_leaving needs the number of days, e.g. 14");
      d.after_leaving_days = r.integer(after, "after_leaving_days", 1, max_days);
    } else if (after) {
      r.fail(after, "after_leaving_days", "applies only with split: after_leaving");
    }
    if (const YAML::Node window = r.get("window")) {
      if (!window.IsSequence() || window.size() != 2)
        r.fail(window, "window",
               "expected [from, to]: days since the origin, from <= day < to, got " + describe(window));
      d.window_from = r.integer(window[0], "window", 0, max_days);
      d.window_to = r.integer(window[1], "window", 1, max_days + 1);
      if (d.window_to <= d.window_from) r.fail(window, "window", "expected from < to");
    }
  }
  if (contrast) {
    const YAML::Node of = r.get("of");
    if (!of) r.fail(r.map, "of", "missing: the quantities compared, [A, B] (one arm) or [A] with arms: [X, Y]");
    for (const auto& item : r.one_or_more(of, "of")) d.of.push_back(item.Scalar());
    if (const YAML::Node arms = r.get("arms")) {
      for (const auto& item : r.one_or_more(arms, "arms")) d.arms.push_back(item.Scalar());
      if (d.arms.size() != 2) r.fail(arms, "arms", "expected two arms, [X, Y]");
      if (d.of.size() != 1) r.fail(of, "of", "expected one quantity when two arms are compared");
    } else if (d.of.size() != 2) {
      r.fail(of, "of", "expected two quantities of the same arm, [A, B] (or one, with arms: [X, Y])");
    }
  }
  return d;
}

}  // namespace

const std::vector<EventName>& event_vocabulary() {
  static const std::vector<EventName> vocabulary = [] {
    std::vector<EventName> names;
    for (const auto& e : core_events()) names.push_back({e.name, {e.code}, e.doc, ""});
    for (const auto& g : event_groups()) names.push_back({g.name, g.codes, g.doc, ""});
    const auto& registry = builtin_interventions();
    for (const auto& type : registry.types()) {
      const auto module = registry.create(type);
      const auto base = static_cast<EventCode>(registry.stream_base(type));
      const auto events = module->event_names();
      for (std::size_t k = 0; k < events.size(); ++k)
        names.push_back({type + "." + events[k].name, {static_cast<EventCode>(base + k)}, events[k].doc, type});
    }
    return names;
  }();
  return vocabulary;
}

const std::vector<std::string>& fixed_quantity_names() {
  static const std::vector<std::string> names = {"percent_days_abstinent",
                                                 "readmissions_per_person_year",
                                                 "deaths",
                                                 "deaths_other_causes",
                                                 "deaths_substance_related",
                                                 "deaths_in_treatment",
                                                 "deaths_out_of_treatment",
                                                 "abstinent_person_years",
                                                 "participants",
                                                 "relapses",
                                                 "completed_episodes",
                                                 "relapse_free_person_years",
                                                 "cost_total",
                                                 "cost_per_participant",
                                                 "cost_per_year",
                                                 "staff_fte"};
  return names;
}

std::vector<OutcomeDefinition> read_outcomes(const YAML::Node& list, const std::string& file) {
  if (!list.IsSequence())
    throw InputError(
        location_of(file, list),
        "analysis.outcomes: expected a list of outcome definitions ({name: ..., event: ..., days: [...]}), got " +
            describe(list));
  std::vector<OutcomeDefinition> out;
  std::set<std::string> taken(fixed_quantity_names().begin(), fixed_quantity_names().end());
  for (const auto& d : default_outcome_definitions(max_day_count, 1))
    for (const auto& q : outcome_quantity_names(d)) taken.insert(q);
  for (const auto& name : {"relapse", "lapse", "first_episode_completion", "abstinent"}) taken.insert(name);
  for (std::size_t k = 0; k < list.size(); ++k) {
    const YAML::Node item = list[k];
    const std::string shown = "analysis.outcomes[" + std::to_string(k) + "]";
    if (!item.IsMap())
      throw InputError(location_of(file, item),
                       shown + ": expected a mapping {name: ..., event: ..., days: [...]}, got " + describe(item));
    Reader reader{item, file, shown};
    OutcomeDefinition d = read_one(reader);
    if (taken.count(d.name))
      reader.fail(item["name"], "name", "'" + d.name + "' is taken (a shipped outcome or another definition)");
    taken.insert(d.name);
    for (const auto& q : outcome_quantity_names(d)) {
      if (!taken.insert(q).second && q != d.name)
        reader.fail(item["name"], "name", "its quantity '" + q + "' has the name of another quantity");
    }
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

void emit_names(YAML::Emitter& out, const std::vector<std::string>& names) {
  if (names.size() == 1) {
    out << names.front();
    return;
  }
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& n : names) out << n;
  out << YAML::EndSeq;
}

}  // namespace

void emit_outcomes(YAML::Emitter& out, const std::vector<OutcomeDefinition>& definitions) {
  using A = SubgroupCondition::Attribute;
  out << YAML::BeginSeq;
  for (const auto& d : definitions) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << d.name;
    out << YAML::Key << "statistic" << YAML::Value << statistic_names[static_cast<std::size_t>(d.statistic)];
    const bool contrast = d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference;
    if (!d.event_text.empty()) {
      out << YAML::Key << "event" << YAML::Value;
      emit_names(out, d.event_text);
    }
    if (d.statistic == OutcomeStatistic::cumulative_incidence) {
      out << YAML::Key << "competing" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (std::size_t k = 1; k < d.cause_names.size(); ++k) out << d.cause_names[k];
      out << YAML::EndSeq;
    }
    if (!contrast) {
      out << YAML::Key << "origin" << YAML::Value << d.origin.text;
      if (d.origin.kind == Origin::Kind::event) out << YAML::Key << "occurrence" << YAML::Value << d.origin.occurrence;
    }
    if (!d.days.empty()) out << YAML::Key << "days" << YAML::Value << YAML::Flow << d.days;
    if (d.restricted_mean_days > 0) out << YAML::Key << "restricted_mean_days" << YAML::Value << d.restricted_mean_days;
    if (!d.quantiles.empty()) {
      out << YAML::Key << "quantiles" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const double q : d.quantiles) out << format_value(q);
      out << YAML::EndSeq;
    }
    if (!d.subgroup.empty()) {
      out << YAML::Key << "subgroup" << YAML::Value << YAML::BeginMap;
      for (const auto& c : d.subgroup) {
        out << YAML::Key << subgroup_names[static_cast<std::size_t>(c.attribute)] << YAML::Value << YAML::Flow
            << YAML::BeginSeq;
        if (c.attribute == A::substance)
          for (const auto code : c.codes) out << std::string(substance_names[static_cast<std::size_t>(code)]);
        else if (c.attribute == A::mental_health)
          for (const auto code : c.codes) out << code;
        else if (c.attribute == A::sex)
          for (const auto code : c.codes) out << sex_names[static_cast<std::size_t>(code)];
        else
          out << format_value(c.low)
              << format_value(c.high > 1.0 && c.attribute != A::admission_day && c.attribute != A::age_years ? 1.0
                                                                                                             : c.high);
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    if (d.statistic == OutcomeStatistic::state_share) out << YAML::Key << "state" << YAML::Value << d.state_name;
    if (d.statistic == OutcomeStatistic::rate) {
      out << YAML::Key << "split" << YAML::Value << split_names[static_cast<std::size_t>(d.split)];
      if (d.split == RateSplit::after_leaving)
        out << YAML::Key << "after_leaving_days" << YAML::Value << d.after_leaving_days;
      if (d.window_from > 0 || d.window_to != std::numeric_limits<std::int32_t>::max())
        out << YAML::Key << "window" << YAML::Value << YAML::Flow << YAML::BeginSeq << d.window_from
            << std::min<std::int32_t>(d.window_to, max_days + 1) << YAML::EndSeq;
    }
    if (contrast) {
      out << YAML::Key << "of" << YAML::Value << YAML::Flow << d.of;
      if (!d.arms.empty()) out << YAML::Key << "arms" << YAML::Value << YAML::Flow << d.arms;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace recoverysim
