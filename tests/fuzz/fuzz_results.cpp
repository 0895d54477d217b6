// Fuzz target: the readers of results files, on real results files altered structurally.
//
// Fuzzing the bytes of an HDF5 file would mostly exercise libhdf5's own parser. Instead, a
// small valid results file (and the two parts of the same run split in shards) is made once,
// by running the scenario below through the library, and each input is decoded into a few
// alterations of a copy of it, made with the HDF5 C API: objects and attributes deleted,
// datasets replaced by others of another shape or type, extreme values written into data
// (NaN, infinities, negative counts, huge integers), attributes given other values or types
// (format_version, seed, shard, the arms of /tasks/complete, the sweep labels, ...), the stored
// scenario text truncated or edited, arms renamed or swapped, groups and datasets swapped,
// members and links (soft, hard, dangling, cyclic, external) added.
//
// The altered file is then read the way one command reads it, the input choosing which:
// open_results, then what summarize, compare, recommend, export (each table) or scenario does
// with a whole file, or merge with the other part (a part); sometimes also open_results for the
// other kind. Every input must end either with the readers done or with an InputError whose
// message starts with the file's name. Anything else is a defect: another exception (an
// h5::Error is exit 1, "a failure while running", not a refusal of the file), a sanitizer
// report, more than 10 s or 2 GB for one input, or an HDF5 file left open. So is a number
// silently wrong where the target can tell: the readers done although an arm's name leads to
// another arm's group, or although the counts or metrics they read hold a value no run writes
// (negative, NaN, infinite, more people leaving follow-up than at risk); and the unaltered file
// refused.
//
// RECOVERYSIM_FUZZ_TRACE=1 prints each input's alterations and how the readers took them;
// RECOVERYSIM_FUZZ_TRACE=catalog also the objects an input picks by index (docs/testing.md).
#include <fuzzer/FuzzedDataProvider.h>

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <ostream>
#include <set>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "h5.hpp"
#include "run/analysis.hpp"
#include "run/decision.hpp"
#include "run/export.hpp"
#include "run/merge.hpp"
#include "run/results_reader.hpp"
#include "run/runner.hpp"
#include "run/scenario.hpp"
#include "tables.hpp"

namespace {

using namespace recoverysim;
namespace fs = std::filesystem;
using h5::Handle;

// The base scenario: small (3 arms, 2 replicates, 90 people over 40 days), but with every
// kind of dataset a results file can hold: the three intervention modules with their daily
// metrics and per-person columns, a sweep (its points' labels; two arms of the same layout), a
// drawn parameter, admission periods of an open cohort, every kind of outcome definition
// (incidence with quantiles, subgroups, a rate split by status, a state share, a ratio and a
// difference between arms), the event record and the trajectories.
constexpr const char* base_scenario = R"(name: fuzz_results
days: 40
replicates: 2
seed: 7
intake: {arrivals_per_day: 3, for_days: 30}
analysis:
  reference_arm: usual_care
  admission_period_days: 15
  willingness_to_pay: 20000
  bootstrap_samples: 100
  outcomes:
    - {name: opioid_relapse, event: relapse, origin: episode_end, subgroup: {substance: opioid}, days: [10, 30]}
    - {name: deaths_by_status, statistic: rate, event: died, split: after_leaving, after_leaving_days: 14}
    - {name: abstinent_share, statistic: state_share, state: abstinent, days: [20]}
    - name: wait_followed
      event: peer_mentor.matched
      competing: [died, peer_mentor.left]
      origin: peer_mentor.queued
      restricted_mean_days: 40
      quantiles: [0.5, 0.9]
    - {name: opioid_vs_all, statistic: ratio, of: [opioid_relapse_by_day_30, relapse_by_day_30]}
    - {name: mentoring_effect, statistic: difference, of: [relapse_by_day_30], arms: [mentors_2, usual_care]}
arms:
  - name: usual_care
  - name: mentors
    interventions:
      - {type: peer_mentor, caseload: 10, salary_per_year: {dist: gamma, mean: 34000, sd: 4000}}
      - {type: group, facilitators: 1}
      - {type: twelve_step, offer_at: admission}
    sweep:
      grid:
        peer_mentor.mentors: [2, 4]
output: {events: true, trajectories: true}
)";

[[noreturn]] void defect(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_results: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

// What each alteration does and how the readers took it, on stderr when
// RECOVERYSIM_FUZZ_TRACE is set (to read a finding).
void trace(const std::string& what) {
  static const bool on = std::getenv("RECOVERYSIM_FUZZ_TRACE") != nullptr;
  if (on) std::fprintf(stderr, "%s\n", what.c_str());
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

// A stream that discards what is written to it (the printed tables are not kept).
class NullBuffer : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

// Every object of a base file, and every attribute, by path from the root ("" is the root).
struct Catalog {
  std::vector<std::string> datasets, groups;
  // The groups of the arms ("arms/<arm>"; in a part, of its units: "units/<unit>"), and the
  // object address of each.
  std::vector<std::string> arms;
  std::vector<haddr_t> arm_addresses;
  std::vector<std::pair<std::string, std::string>> attributes;  // (object, name)
};

struct BaseFile {
  std::string path;
  Catalog catalog;
};

struct Bases {
  std::string dir;
  BaseFile whole, part;    // the results file, and part 1/2 of the same run
  std::string other_part;  // part 2/2, never altered
  std::string work;        // the altered copy
  std::string merged;      // merge's output
};

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

herr_t collect_object(hid_t, const char* name, const H5O_info_t* info, void* data) {
  auto& catalog = *static_cast<Catalog*>(data);
  const std::string path = name;
  if (path == ".") return 0;
  if (info->type == H5O_TYPE_GROUP) catalog.groups.push_back(path);
  else if (info->type == H5O_TYPE_DATASET) catalog.datasets.push_back(path);
  for (const std::string_view top : {"arms/", "units/"})
    if (path.starts_with(top) && path.find('/', top.size()) == std::string::npos) catalog.arms.push_back(path);
  return 0;
}

// The address of the object at `path` (which an object keeps when moved or linked elsewhere),
// or HADDR_UNDEF.
haddr_t address_of(hid_t file, const std::string& path) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (H5Lexists(file, path.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return HADDR_UNDEF;
  H5O_info_t info;
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0 ||
      H5Oget_info_by_name2(file, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return HADDR_UNDEF;
  return info.addr;
}

Catalog catalog_of(const std::string& path) {
  Catalog catalog;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file) defect("cannot open the base file", path);
  H5Ovisit2(file.id(), H5_INDEX_NAME, H5_ITER_INC, collect_object, &catalog, H5O_INFO_BASIC);
  std::vector<std::string> objects = {""};
  objects.insert(objects.end(), catalog.groups.begin(), catalog.groups.end());
  objects.insert(objects.end(), catalog.datasets.begin(), catalog.datasets.end());
  for (const auto& object : objects) {
    std::vector<std::string> names;
    hsize_t index = 0;
    H5Aiterate_by_name(file.id(), object.empty() ? "/" : object.c_str(), H5_INDEX_NAME, H5_ITER_INC, &index,
                       collect_attribute, &names, H5P_DEFAULT);
    for (const auto& n : names) catalog.attributes.emplace_back(object, n);
  }
  if (catalog.datasets.empty() || catalog.arms.empty()) defect("the base file holds nothing", path);
  for (const auto& arm : catalog.arms) catalog.arm_addresses.push_back(address_of(file.id(), arm));
  return catalog;
}

void run_base(const std::string& output, const std::string& shard) {
  Scenario scenario;
  scenario.load_text(base_scenario, "fuzz_results.yaml");
  RunOptions options;
  options.output_path = output;
  options.threads = 1;
  options.show_progress = false;
  if (!shard.empty()) options.shard = parse_shard(shard);
  run_scenario(scenario, options);
}

void remove_directory(const std::string& dir) {
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

const Bases& bases() {
  static const Bases made = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/recoverysim_fuzz_results.XXXXXX";
    if (!mkdtemp(pattern.data())) defect("cannot make a temporary directory", pattern);
    Bases b;
    b.dir = pattern;
    static std::string to_remove;
    to_remove = b.dir;
    std::atexit([] { remove_directory(to_remove); });
    try {
      b.whole.path = b.dir + "/whole.h5";
      run_base(b.whole.path, "");
      b.part.path = b.dir + "/part1.h5";
      run_base(b.part.path, "1/2");
      b.other_part = b.dir + "/part2.h5";
      run_base(b.other_part, "2/2");
    } catch (const std::exception& e) {
      defect("cannot make the base files", e.what());
    }
    b.whole.catalog = catalog_of(b.whole.path);
    b.part.catalog = catalog_of(b.part.path);
    // RECOVERYSIM_FUZZ_TRACE=catalog: the objects an input picks by index, to write one by hand.
    if (const char* t = std::getenv("RECOVERYSIM_FUZZ_TRACE"); t && std::string(t) == "catalog")
      for (const auto* base : {&b.whole, &b.part}) {
        const char* kind = base == &b.whole ? "whole" : "part";
        const Catalog& c = base->catalog;
        const auto list = [&](const char* what, const std::vector<std::string>& names) {
          for (std::size_t k = 0; k < names.size(); ++k)
            std::fprintf(stderr, "%s %s %zu %s\n", kind, what, k, names[k].c_str());
        };
        std::vector<std::string> datasets;  // with their shapes
        Handle file(H5Fopen(base->path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        for (const auto& path : c.datasets) {
          Handle d(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
          Handle space(H5Dget_space(d.id()), H5Sclose);
          std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(H5Sget_simple_extent_ndims(space.id()), 0)));
          H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
          datasets.push_back(path + " " + shape_text(dims));
        }
        list("dataset", datasets);
        list("group", c.groups);
        list("arm", c.arms);
        std::vector<std::string> attributes;
        for (const auto& [object, name] : c.attributes) attributes.push_back("/" + object + " " + name);
        list("attribute", attributes);
      }
    b.work = b.dir + "/altered.h5";
    b.merged = b.dir + "/merged.h5";
    return b;
  }();
  return made;
}

// ---------------------------------------------------------------------------------------------
// Alterations, each made with the HDF5 C API on the open copy. One that does not apply (its
// object was deleted by an earlier one) does nothing.

class Alter {
 public:
  Alter(hid_t file, const Catalog& catalog, FuzzedDataProvider& in, const std::string& base_path)
      : file_(file), catalog_(catalog), in_(in), base_path_(base_path) {}

  void one() {
    const int kind = in_.ConsumeIntegralInRange<int>(0, 11);
    if (kind != 3 && kind != 4 && kind != 11) only_values_ = false;
    switch (kind) {
      case 0: {
        const std::string path = any_object();
        note("delete " + path);
        H5Ldelete(file_, path.c_str(), H5P_DEFAULT);
        break;
      }
      case 1: delete_attribute(); break;
      case 2: reshape(dataset()); break;
      case 3: retype(dataset()); break;
      case 4: extreme(dataset()); break;
      case 5: set_attribute(); break;
      case 6: edit_scenario(); break;
      case 7: rename_arm(); break;
      case 8: swap_kind(any_object()); break;
      case 9: add_member(); break;
      case 10: copy_over(); break;
      default: extreme(dataset()); break;
    }
  }

  // The counts and metrics given a value no run writes (negative, NaN, infinite, far too
  // large) by alterations that changed nothing else: the readers of such a dataset must
  // refuse the file rather than compute with the value.
  std::vector<std::string> impossible_values() const {
    return only_values_ ? std::vector<std::string>(poisoned_.begin(), poisoned_.end()) : std::vector<std::string>{};
  }

 private:
  static void note(const std::string& what) { trace("alteration: " + what); }

  std::size_t index(std::size_t n) { return n == 0 ? 0 : in_.ConsumeIntegralInRange<std::size_t>(0, n - 1); }
  const std::string& dataset() { return catalog_.datasets[index(catalog_.datasets.size())]; }
  std::string any_object() {
    const std::size_t k = index(catalog_.datasets.size() + catalog_.groups.size());
    return k < catalog_.datasets.size() ? catalog_.datasets[k] : catalog_.groups[k - catalog_.datasets.size()];
  }
  std::string group() {
    const std::size_t k = index(catalog_.groups.size() + 1);
    return k == 0 ? std::string("/") : catalog_.groups[k - 1];
  }
  std::string arm() { return catalog_.arms[index(catalog_.arms.size())]; }

  bool exists(const std::string& path) const {
    // H5Lexists needs every intermediate link to exist.
    for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      if (slash > 0 && H5Lexists(file_, path.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return false;
    return H5Lexists(file_, path.c_str(), H5P_DEFAULT) > 0;
  }

  void delete_attribute() {
    if (catalog_.attributes.empty()) return;
    const auto& [object, name] = catalog_.attributes[index(catalog_.attributes.size())];
    note("delete attribute " + name + " of /" + object);
    H5Adelete_by_name(file_, object.empty() ? "/" : object.c_str(), name.c_str(), H5P_DEFAULT);
  }

  // The dataset's values as doubles (empty when they are not numbers), with its shape.
  std::vector<double> values_of(const std::string& path, std::vector<hsize_t>& dims) {
    dims.clear();
    Handle d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d) return {};
    Handle space(H5Dget_space(d.id()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank < 0) return {};
    dims.resize(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    Handle type(H5Dget_type(d.id()), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.id());
    if (n <= 0 || n > (1 << 22) || (cls != H5T_INTEGER && cls != H5T_FLOAT)) return {};
    std::vector<double> values(static_cast<std::size_t>(n));
    if (H5Dread(d.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) return {};
    return values;
  }

  // Replaces `path` by a new dataset of `type` and `dims`, filled with `values` repeated (or
  // left to the fill value), keeping the old one's attributes if asked.
  void replace(const std::string& path, hid_t type, const std::vector<hsize_t>& dims, const std::vector<double>& values,
               bool keep_attributes) {
    Handle old(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!old) return;
    const std::string moved = path + "~old";
    if (H5Lmove(file_, path.c_str(), file_, moved.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0) return;
    hsize_t n = 1;
    bool huge = false;
    for (const hsize_t d : dims) {
      huge = huge || d > (hsize_t{1} << 24) || (d > 0 && n > (hsize_t{1} << 24) / d);
      n *= d;
    }
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (huge) {  // never written: chunks are allocated when written
      std::vector<hsize_t> chunk(dims.size(), 1);
      H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data());
    }
    Handle created(H5Dcreate2(file_, path.c_str(), type, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT), H5Dclose);
    if (!created) {
      H5Lmove(file_, moved.c_str(), file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT);
      return;
    }
    if (!huge && n > 0) write_values(created.id(), type, static_cast<std::size_t>(n), values);
    if (keep_attributes) {
      const int count = H5Aget_num_attrs(old.id());
      for (int i = 0; i < count; ++i) {
        char name[256] = {};
        Handle attr(H5Aopen_by_idx(old.id(), ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT,
                                   H5P_DEFAULT),
                    H5Aclose);
        if (!attr || H5Aget_name(attr.id(), sizeof name, name) < 0) continue;
        copy_attribute(attr.id(), created.id(), name);
      }
    }
    old.reset();
    H5Ldelete(file_, moved.c_str(), H5P_DEFAULT);
  }

  static void copy_attribute(hid_t attr, hid_t to, const char* name) {
    Handle type(H5Aget_type(attr), H5Tclose);
    Handle space(H5Aget_space(attr), H5Sclose);
    const hssize_t points = H5Sget_simple_extent_npoints(space.id());
    if (points < 0 || points > 4096) return;
    std::vector<unsigned char> buffer(static_cast<std::size_t>(std::max<hssize_t>(points, 1)) * H5Tget_size(type.id()));
    if (H5Aread(attr, type.id(), buffer.data()) < 0) return;
    Handle copy(H5Acreate2(to, name, type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (copy) H5Awrite(copy.id(), type.id(), buffer.data());
    if (H5Tdetect_class(type.id(), H5T_VLEN) > 0 || H5Tis_variable_str(type.id()) > 0)
      H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, buffer.data());
  }

  static void write_values(hid_t dataset, hid_t type, std::size_t n, const std::vector<double>& values) {
    if (H5Tget_class(type) == H5T_STRING) {
      std::vector<std::string> text(n);
      for (std::size_t k = 0; k < n; ++k) text[k] = values.empty() ? "x" : std::to_string(values[k % values.size()]);
      if (H5Tis_variable_str(type) > 0) {
        std::vector<const char*> pointers;
        for (const auto& t : text) pointers.push_back(t.c_str());
        H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
      } else {
        const std::size_t width = H5Tget_size(type);
        std::vector<char> fixed(n * width, '\0');
        for (std::size_t k = 0; k < n; ++k) text[k].copy(fixed.data() + k * width, width);
        H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed.data());
      }
      return;
    }
    if (values.empty()) return;
    std::vector<double> data(n);
    for (std::size_t k = 0; k < n; ++k) data[k] = values[k % values.size()];
    H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
  }

  void reshape(const std::string& path) {
    std::vector<hsize_t> dims;
    const std::vector<double> values = values_of(path, dims);
    Handle d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d) return;
    Handle type(H5Dget_type(d.id()), H5Tclose);
    d.reset();
    std::vector<hsize_t> shape = dims;
    switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
      case 0:
        if (!shape.empty() && shape[0] > 0) --shape[0];
        break;
      case 1:
        if (!shape.empty()) ++shape[0];
        break;
      case 2:
        if (!shape.empty() && shape.back() > 0) --shape.back();
        break;
      case 3:
        if (!shape.empty()) ++shape.back();
        break;
      case 4:
        if (!shape.empty()) shape[0] = 0;
        break;
      case 5: shape.push_back(in_.ConsumeIntegralInRange<hsize_t>(1, 3)); break;
      case 6:
        if (!shape.empty()) shape.pop_back();
        break;
      case 7: shape.clear(); break;  // a scalar
      case 8:
        if (!shape.empty()) shape[0] = hsize_t{1} << in_.ConsumeIntegralInRange<int>(25, 40);
        break;
      default: std::reverse(shape.begin(), shape.end()); break;
    }
    const bool keep = in_.ConsumeBool();
    note("reshape " + path + " to " + shape_text(shape) + (keep ? " (attributes kept)" : ""));
    replace(path, type.id(), shape, values, keep);
  }

  void retype(const std::string& path) {
    std::vector<hsize_t> dims;
    const std::vector<double> values = values_of(path, dims);
    if (!exists(path)) return;
    Handle string_type(H5Tcopy(H5T_C_S1), H5Tclose);
    const int choice = in_.ConsumeIntegralInRange<int>(0, 11);
    if (choice == 10) H5Tset_size(string_type.id(), H5T_VARIABLE);
    if (choice == 11) H5Tset_size(string_type.id(), 8);
    const hid_t types[] = {H5T_STD_I8LE,  H5T_STD_U8LE,  H5T_STD_I16LE, H5T_STD_U16LE,  H5T_STD_I32LE,
                           H5T_STD_U32LE, H5T_STD_I64LE, H5T_STD_U64BE, H5T_IEEE_F32LE, H5T_IEEE_F64LE};
    const bool keep = in_.ConsumeBool();
    poisoned_.erase(path);  // an impossible value may not survive the conversion
    static const char* const names[] = {"int8",    "uint8",   "int16",  "uint16",
                                        "int32",   "uint32",  "int64",  "uint64 (big-endian)",
                                        "float32", "float64", "string", "string8"};
    note("retype " + path + " as " + names[choice] + (keep ? " (attributes kept)" : ""));
    replace(path, choice < 10 ? types[choice] : string_type.id(), dims, values, keep);
  }

  // Writes a value that no results file holds (or a very large one) into one element, one
  // row or every element of a dataset.
  void extreme(const std::string& path) {
    Handle d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d) return;
    Handle type(H5Dget_type(d.id()), H5Tclose);
    Handle space(H5Dget_space(d.id()), H5Sclose);
    const hssize_t points = H5Sget_simple_extent_npoints(space.id());
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (points <= 0 || points > (1 << 22) || rank < 0) return;
    const bool integer = H5Tget_class(type.id()) == H5T_INTEGER;
    if (!integer && H5Tget_class(type.id()) != H5T_FLOAT) return;
    static const double reals[] = {std::numeric_limits<double>::quiet_NaN(),
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   -1.0,
                                   -0.5,
                                   0.5,
                                   1e300,
                                   -1e300,
                                   1e15,
                                   2147483648.0,
                                   9.3e18,
                                   1.0,
                                   0.0,
                                   1e-300};
    static const long long integers[] = {-1,
                                         -2,
                                         std::numeric_limits<long long>::min(),
                                         std::numeric_limits<long long>::max(),
                                         2147483647,
                                         -2147483647 - 1,
                                         255,
                                         256,
                                         65535,
                                         65536,
                                         1LL << 40,
                                         0,
                                         1,
                                         1000000};
    long long as_integer = 0;
    double as_real = 0;
    const int pick = in_.ConsumeIntegralInRange<int>(0, 14);
    if (integer) as_integer = pick < 14 ? integers[pick] : in_.ConsumeIntegral<long long>();
    else as_real = pick < 14 ? reals[pick] : in_.ConsumeFloatingPoint<double>();
    const auto n = static_cast<std::size_t>(points);
    const int where = in_.ConsumeIntegralInRange<int>(0, 2);
    note("write " + (integer ? std::to_string(as_integer) : std::to_string(as_real)) + " into " +
         (where == 0 || rank == 0 ? "every element"
          : where == 1            ? "one element"
                                  : "one row") +
         " of " + path);
    // Counts (the count tables: at most the run's agent-days, 3600 here; state and treatment
    // counts) and modules' daily metrics: never negative, NaN or infinite.
    const bool table = path.find("/tables/") != std::string::npos;
    const bool counted = table || path.ends_with("/state_counts") || path.ends_with("/treatment_counts") ||
                         path.find("/daily/") != std::string::npos;
    const bool impossible = integer ? as_integer < 0 || (table && as_integer > 1000000)
                                    : !std::isfinite(as_real) || as_real < 0 || (table && as_real > 1e6);
    if (counted && impossible) poisoned_.insert(path);
    else poisoned_.erase(path);
    std::vector<long long> integer_data;
    std::vector<double> real_data;
    if (where == 0 || rank == 0) {  // every element
      integer_data.assign(n, as_integer);
      real_data.assign(n, as_real);
      H5Dwrite(d.id(), integer ? H5T_NATIVE_LLONG : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
               integer ? static_cast<const void*>(integer_data.data()) : static_cast<const void*>(real_data.data()));
    } else {
      write_part(d.id(), space.id(), rank, where, n, integer, as_integer, as_real);
    }
    // An event table must still make sense: as many people leaving follow-up as are at risk.
    if (path.ends_with("/event_table") && !consistent_event_table(path)) poisoned_.insert(path);
  }

  // Writes the value into one element or one row (`where` 1 or 2) of a dataset of `n` elements.
  void write_part(hid_t d, hid_t space, int rank, int where, std::size_t n, bool integer, long long as_integer,
                  double as_real) {
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<hsize_t> start(dims.size(), 0), count(dims.size(), 1);
    if (where == 1) {  // one element
      std::size_t flat = index(n);
      for (std::size_t k = dims.size(); k-- > 0;) {
        start[k] = flat % dims[k];
        flat /= dims[k];
      }
    } else {  // one row (one index of the first dimension)
      count = dims;
      count[0] = 1;
      start[0] = index(static_cast<std::size_t>(dims[0]));
    }
    std::size_t selected = 1;
    for (const hsize_t c : count) selected *= c;
    const std::vector<long long> integer_data(selected, as_integer);
    const std::vector<double> real_data(selected, as_real);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    Handle memory(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
    H5Dwrite(d, integer ? H5T_NATIVE_LLONG : H5T_NATIVE_DOUBLE, memory.id(), space, H5P_DEFAULT,
             integer ? static_cast<const void*>(integer_data.data()) : static_cast<const void*>(real_data.data()));
  }

  std::string some_text() {
    static const char* const words[] = {"",
                                        "recoverysim",
                                        "1/2",
                                        "2/2",
                                        "1/1",
                                        "0/2",
                                        "3/2",
                                        "2/1",
                                        "-1/2",
                                        "1/0",
                                        "18446744073709551617/2",
                                        "1/2 ",
                                        "usual_care",
                                        "mentors_2",
                                        "mentors_4",
                                        "twelve_step",
                                        "mentors",
                                        "5",
                                        "999",
                                        "x,y",
                                        "\xff\xfe"};
    const std::size_t k = index(std::size(words) + 1);
    if (k < std::size(words)) return words[k];
    return in_.ConsumeRandomLengthString(64);
  }

  // Writes attribute `name` of `object` with a value of a kind chosen by the input: an integer,
  // a real, a string (variable or fixed length), a list of strings or of integers, or empty.
  void write_attribute(const std::string& object, const std::string& name) {
    const char* at = object.empty() ? "/" : object.c_str();
    if (!object.empty() && !exists(object)) return;
    Handle owner(H5Oopen(file_, at, H5P_DEFAULT), H5Oclose);
    if (!owner) return;
    if (H5Aexists(owner.id(), name.c_str()) > 0) H5Adelete(owner.id(), name.c_str());
    note("attribute " + name + " of /" + object + ":");
    Handle text(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(text.id(), H5T_VARIABLE);
    const auto create = [&](hid_t type, hid_t space) {
      return Handle(H5Acreate2(owner.id(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    };
    switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: {
        static const long long values[] = {-1,
                                           0,
                                           1,
                                           2,
                                           3,
                                           4,
                                           5,
                                           6,
                                           99,
                                           1LL << 32,
                                           std::numeric_limits<long long>::max(),
                                           std::numeric_limits<long long>::min()};
        const std::size_t k = index(std::size(values) + 1);
        const long long v = k < std::size(values) ? values[k] : in_.ConsumeIntegral<long long>();
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle a = create(H5T_STD_I64LE, space.id());
        if (a) H5Awrite(a.id(), H5T_NATIVE_LLONG, &v);
        note("  the integer " + std::to_string(v));
        break;
      }
      case 1: {
        const double v =
            in_.ConsumeBool() ? std::numeric_limits<double>::quiet_NaN() : in_.ConsumeFloatingPoint<double>();
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle a = create(H5T_IEEE_F64LE, space.id());
        if (a) H5Awrite(a.id(), H5T_NATIVE_DOUBLE, &v);
        note("  the real " + std::to_string(v));
        break;
      }
      case 2: {
        const std::string v = some_text();
        const char* p = v.c_str();
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle a = create(text.id(), space.id());
        if (a) H5Awrite(a.id(), text.id(), &p);
        note("  the string '" + v + "'");
        break;
      }
      case 3: {
        std::string v = some_text();
        Handle fixed(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(fixed.id(), std::max<std::size_t>(v.size(), 1));
        v.resize(std::max<std::size_t>(v.size(), 1));
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle a = create(fixed.id(), space.id());
        if (a) H5Awrite(a.id(), fixed.id(), v.data());
        note("  the fixed-length string '" + v + "'");
        break;
      }
      case 4: {
        const auto n = static_cast<hsize_t>(in_.ConsumeIntegralInRange<int>(0, 5));
        std::vector<std::string> values;
        for (hsize_t k = 0; k < n; ++k) values.push_back(some_text());
        std::vector<const char*> pointers;
        for (const auto& v : values) pointers.push_back(v.c_str());
        Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        Handle a = create(text.id(), space.id());
        if (a && n > 0) H5Awrite(a.id(), text.id(), pointers.data());
        note("  a list of " + std::to_string(n) + " strings");
        break;
      }
      case 5: {
        const hsize_t n = 2;
        const long long values[2] = {in_.ConsumeIntegral<long long>(), in_.ConsumeIntegral<long long>()};
        Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        Handle a = create(H5T_STD_I64LE, space.id());
        if (a) H5Awrite(a.id(), H5T_NATIVE_LLONG, values);
        note("  two integers");
        break;
      }
      case 6: {
        Handle space(H5Screate(H5S_NULL), H5Sclose);
        create(in_.ConsumeBool() ? text.id() : H5T_STD_I64LE, space.id());
        note("  an empty (null) value");
        break;
      }
      default: {  // two strings where one is expected
        const std::string first = some_text(), second = some_text();
        const char* pointers[2] = {first.c_str(), second.c_str()};
        const hsize_t n = 2;
        Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        Handle a = create(text.id(), space.id());
        if (a) H5Awrite(a.id(), text.id(), pointers);
        note("  two strings '" + first + "', '" + second + "'");
        break;
      }
    }
  }

  void set_attribute() {
    static const char* const root_names[] = {"shard", "format",           "format_version", "scenario_yaml",
                                             "seed",  "software_version", "reference_arm"};
    const std::size_t k = index(catalog_.attributes.size() + std::size(root_names));
    if (k < catalog_.attributes.size()) {
      const auto& [object, name] = catalog_.attributes[k];
      write_attribute(object, name);
    } else {
      write_attribute("", root_names[k - catalog_.attributes.size()]);
    }
  }

  // Whether an event table [R, P, day, (entered, censored, causes...)] still makes sense: on no
  // day do more people leave follow-up than are at risk (the readers' own check, written again).
  bool consistent_event_table(const std::string& path) {
    std::vector<hsize_t> dims;
    const std::vector<double> values = values_of(path, dims);
    if (dims.size() != 4 || values.empty()) return true;
    const std::size_t days = dims[2], width = dims[3];
    for (std::size_t first = 0; first + days * width <= values.size(); first += days * width) {
      double at_risk = 0;
      for (std::size_t t = 0; t < days; ++t) {
        const double* row = values.data() + first + t * width;
        at_risk += row[0];
        double leaving = 0;
        for (std::size_t k = 1; k < width; ++k) leaving += row[k];
        if (leaving > at_risk) return false;
        at_risk -= leaving;
      }
    }
    return true;
  }

  static bool read_string_attribute(hid_t object, const char* name, std::string& out) {
    Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
    if (!attr) return false;
    Handle space(H5Aget_space(attr.id()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.id()) != 1) return false;
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.id(), H5T_VARIABLE);
    char* value = nullptr;
    if (H5Aread(attr.id(), type.id(), &value) < 0) return false;
    out = value ? value : "";
    H5free_memory(value);
    return true;
  }

  // Edits the stored scenario as text: truncated, a line deleted, doubled or inserted, or the
  // value of a key replaced.
  void edit_scenario() {
    Handle root(H5Gopen2(file_, "/", H5P_DEFAULT), H5Gclose);
    std::string yaml;
    if (!read_string_attribute(root.id(), "scenario_yaml", yaml)) return;
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < yaml.size();) {
      const std::size_t end = std::min(yaml.find('\n', start), yaml.size());
      lines.push_back(yaml.substr(start, end - start));
      start = end + 1;
    }
    if (lines.empty()) lines.emplace_back();
    const std::size_t line = index(lines.size());
    static const char* const values[] = {"0",
                                         "1",
                                         "2",
                                         "3",
                                         "-1",
                                         "39",
                                         "41",
                                         "120",
                                         "121",
                                         "1000000000",
                                         "9223372036854775807",
                                         "1e308",
                                         ".nan",
                                         ".inf",
                                         "true",
                                         "false",
                                         "null",
                                         "''",
                                         "[]",
                                         "{}",
                                         "usual_care",
                                         "mentors_2",
                                         "mentors_4",
                                         "twelve_step"};
    switch (in_.ConsumeIntegralInRange<int>(0, 4)) {
      case 0: yaml.resize(index(yaml.size() + 1)); break;
      case 1:
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line));
        yaml.clear();
        break;
      case 2:
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line), lines[line]);
        yaml.clear();
        break;
      case 3:
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line), in_.ConsumeRandomLengthString(80));
        yaml.clear();
        break;
      default: {
        const std::size_t colon = lines[line].find(": ");
        if (colon == std::string::npos) return;
        const std::size_t k = index(std::size(values) + 1);
        lines[line] =
            lines[line].substr(0, colon + 2) + (k < std::size(values) ? values[k] : in_.ConsumeRandomLengthString(24));
        yaml.clear();
        break;
      }
    }
    if (yaml.empty())
      for (const auto& l : lines) yaml += l + "\n";
    note("scenario_yaml edited:\n" + yaml);
    H5Adelete(root.id(), "scenario_yaml");
    Handle text(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(text.id(), H5T_VARIABLE);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(H5Acreate2(root.id(), "scenario_yaml", text.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const char* p = yaml.c_str();
    if (a) H5Awrite(a.id(), text.id(), &p);
  }

  // Renames an arm's group (a unit's in a part): to a new name, to another's (replacing it), or
  // swapping two.
  void rename_arm() {
    const std::string a = arm(), b = arm();
    switch (in_.ConsumeIntegralInRange<int>(0, 2)) {
      case 0: {
        const std::string to = a.substr(0, a.find('/') + 1) + some_text();
        note("move " + a + " to " + to);
        H5Lmove(file_, a.c_str(), file_, to.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        break;
      }
      case 1:
        if (a == b) return;
        note("move " + a + " over " + b);
        H5Ldelete(file_, b.c_str(), H5P_DEFAULT);
        H5Lmove(file_, a.c_str(), file_, b.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        break;
      default:
        if (a == b) return;
        note("swap " + a + " and " + b);
        H5Lmove(file_, a.c_str(), file_, "swapping", H5P_DEFAULT, H5P_DEFAULT);
        H5Lmove(file_, b.c_str(), file_, a.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        H5Lmove(file_, "swapping", file_, b.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        break;
    }
  }

  // A dataset where a group was, or a group where a dataset was.
  void swap_kind(const std::string& path) {
    if (!exists(path)) return;
    H5O_info_t info;
    if (H5Oget_info_by_name2(file_, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return;
    H5Ldelete(file_, path.c_str(), H5P_DEFAULT);
    note((info.type == H5O_TYPE_DATASET ? "a group in place of the dataset " : "a dataset in place of the group ") +
         path);
    if (info.type == H5O_TYPE_DATASET) {
      Handle g(H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    } else {
      const hsize_t n = 2;
      Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Handle d(H5Dcreate2(file_, path.c_str(), H5T_STD_I32LE, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose);
    }
  }

  // A new member of a group: a dataset, a group, or a link (soft: to an object, dangling, to
  // the root or the group itself; hard; external: to a missing file or to the base file).
  void add_member() {
    const std::string parent = group();
    const std::string like = any_object();
    std::string name = in_.ConsumeBool() ? like.substr(like.rfind('/') + 1) : some_text();
    if (name.empty() || name.find('/') != std::string::npos || name == ".") name = "extra";
    const std::string path = parent == "/" ? name : parent + "/" + name;
    if (parent != "/" && !exists(parent)) return;
    H5Ldelete(file_, path.c_str(), H5P_DEFAULT);
    const int kind = in_.ConsumeIntegralInRange<int>(0, 8);
    std::string target;
    switch (kind) {
      case 0: {
        std::vector<hsize_t> dims;
        for (int k = in_.ConsumeIntegralInRange<int>(0, 3); k > 0; --k)
          dims.push_back(in_.ConsumeIntegralInRange<hsize_t>(0, 130));
        const bool integer = in_.ConsumeBool();
        note("add the " + std::string(integer ? "int32" : "float64") + " dataset " + path + " " + shape_text(dims));
        Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
        Handle d(H5Dcreate2(file_, path.c_str(), integer ? H5T_STD_I32LE : H5T_IEEE_F64LE, space.id(), H5P_DEFAULT,
                            H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
        return;
      }
      case 1:
        note("add the group " + path);
        Handle(H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        return;
      case 2: target = "/" + any_object(); break;
      case 3: target = "/nowhere/at_all"; break;
      case 4: target = "/"; break;
      case 5: target = parent == "/" ? "/" : "/" + parent; break;
      case 6: {
        const std::string to = any_object();
        note("add " + path + ", a hard link to /" + to);
        H5Lcreate_hard(file_, to.c_str(), file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        return;
      }
      case 7:
        note("add " + path + ", an external link to a missing file");
        H5Lcreate_external("missing_file.h5", "/arms", file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        return;
      default: {
        const std::string to = "/" + any_object();
        note("add " + path + ", an external link to " + to + " in the unaltered file");
        H5Lcreate_external(base_path_.c_str(), to.c_str(), file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        return;
      }
    }
    note("add " + path + ", a soft link to " + target);
    H5Lcreate_soft(target.c_str(), file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  }

  // One dataset or group copied over another (the same dataset of another arm, say).
  void copy_over() {
    const std::string from = any_object(), to = any_object();
    if (from == to || !exists(from) || !exists(to)) return;
    if (to.rfind(from + "/", 0) == 0 || from.rfind(to + "/", 0) == 0) return;
    note("copy /" + from + " over /" + to);
    H5Ldelete(file_, to.c_str(), H5P_DEFAULT);
    H5Ocopy(file_, from.c_str(), file_, to.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  }

  hid_t file_;
  const Catalog& catalog_;
  FuzzedDataProvider& in_;
  std::string base_path_;
  bool only_values_ = true;
  std::set<std::string> poisoned_;
};

// ---------------------------------------------------------------------------------------------
// The readers, as the commands call them.

bool names_the_file(const InputError& e, const std::string& path) { return std::string(e.what()).rfind(path, 0) == 0; }

// The commands that read a whole file; each input runs one, as each invocation of the program
// does.
enum class Command {
  summarize,
  compare,
  recommend,
  export_outcomes,
  export_daily,
  export_agents,
  export_events,
  scenario
};
constexpr int commands = 8;

void read_whole(const std::string& path, Command command, cli::Format format, std::size_t choice) {
  NullBuffer discard;
  std::ostream out(&discard);
  const auto opened = open_results(path, ResultsKind::whole);
  const Scenario& scenario = opened->scenario;
  const h5::Group& root = opened->file.root();
  const std::string& reference = scenario.analysis.reference_arm;
  switch (command) {
    case Command::summarize: {
      const Analysis analysis = analyse_results(root, scenario, reference);
      cli::print_summary(out, analysis, scenario.run.name, format, {});
      if (!analysis.arms.front().by_period.empty()) cli::print_by_period(out, analysis, scenario.run.name, format, {});
      break;
    }
    case Command::compare: {  // --reference: any arm
      const Analysis analysis = analyse_results(root, scenario, scenario.arms[choice % scenario.arms.size()].name);
      if (!analysis.comparisons.empty())
        cli::print_comparison(out, analysis, decide(analysis, scenario), scenario.run.name, format);
      break;
    }
    case Command::recommend: {
      Constraints constraints;
      constraints.wtp = scenario.analysis.willingness_to_pay > 0 ? scenario.analysis.willingness_to_pay : 1000.0;
      constraints.max_wait_days = 14;
      constraints.budget_per_year = 1e6;
      constraints.wait_quantile = choice % 2 ? 0.75 : 0.9;
      const Analysis analysis = analyse_results(root, scenario, reference, {constraints.wait_quantile});
      const Decision decision = decide(analysis, scenario, constraints.wtp);
      cli::print_recommendation(out, analysis, decision, recommend(analysis, decision, constraints), scenario.run.name,
                                format == cli::Format::csv ? cli::Format::table : format);
      break;
    }
    case Command::scenario: (void)root.string_attribute("scenario_yaml"); break;
    default: {
      ExportOptions options;
      options.format = choice % 2 ? ExportFormat::json : ExportFormat::csv;
      options.table = command == Command::export_outcomes ? ExportTable::outcomes
                      : command == Command::export_daily  ? ExportTable::daily
                      : command == Command::export_agents ? ExportTable::agents
                                                          : ExportTable::events;
      if (options.table == ExportTable::events && !scenario.run.output_events) break;
      export_table(root, scenario, options, out);
      break;
    }
  }
}

void read_part(const Bases& b) {
  std::error_code ignored;
  fs::remove(b.merged, ignored);
  merge_parts({b.work, b.other_part}, b.merged);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bases& b = bases();
  trace("input of " + std::to_string(size) + " bytes:");
  FuzzedDataProvider in(data, size);
  // Which command reads the file: one of those of a whole file, or merge (then the file is a
  // part); the output format; the reference arm of compare or the wait quantile of recommend.
  const int command = in.ConsumeIntegralInRange<int>(0, commands);
  const bool part = command == commands;
  const BaseFile& base = part ? b.part : b.whole;
  const auto format = static_cast<cli::Format>(in.ConsumeIntegralInRange<int>(0, 3));
  const auto choice = in.ConsumeIntegral<std::uint8_t>();

  bool altered = false;
  std::vector<std::string> impossible;  // datasets given values no run writes
  std::string replaced_arm;             // an arm whose name leads to another group
  std::error_code ec;
  fs::copy_file(base.path, b.work, fs::copy_options::overwrite_existing, ec);
  if (ec) defect("cannot copy the base file", ec.message());
  {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
    Handle file(H5Fopen(b.work.c_str(), H5F_ACC_RDWR, fapl.id()), H5Fclose);
    if (!file) defect("cannot open the copy of the base file", b.work);
    Alter alter(file.id(), base.catalog, in, base.path);
    for (int steps = in.ConsumeIntegralInRange<int>(1, 4); steps > 0 && in.remaining_bytes() > 0; --steps) {
      alter.one();
      altered = true;
    }
    impossible = alter.impossible_values();
    // An arm's name leading to another group than its own (arms swapped, moved or copied over
    // one another): read as that arm, its numbers would be another arm's.
    for (std::size_t a = 0; a < base.catalog.arms.size(); ++a) {
      const haddr_t now = address_of(file.id(), base.catalog.arms[a]);
      if (now != HADDR_UNDEF && now != base.catalog.arm_addresses[a]) replaced_arm = base.catalog.arms[a];
    }
  }
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) defect("the alterations left an HDF5 object open", "");

  // A refusal must name the file (merge may name the other part, or the parts together,
  // "merge", where they disagree); the unaltered file must be read where it is the kind expected.
  const auto run = [&](const char* reader, bool expected_kind, const auto& read) {
    try {
      read();
      trace(std::string(reader) + ": read");
      if (!expected_kind) return;
      if (!replaced_arm.empty()) defect(std::string(reader) + ": read another group as " + replaced_arm, "");
      // The commands that read the counts and metrics given impossible values.
      const auto reads = [&](const std::string& path) {
        const bool daily = path.find("/daily/") != std::string::npos;
        const bool table = path.find("/tables/") != std::string::npos;
        const auto c = static_cast<Command>(command);
        if (c == Command::export_daily) return !table;
        // merge analyses the merged file: its tables and metrics.
        return (table || daily) && (c == Command::summarize || c == Command::compare || c == Command::recommend ||
                                    c == Command::export_outcomes || part);
      };
      for (const auto& path : impossible)
        if (reads(path)) defect(std::string(reader) + ": read an impossible value in " + path + " as a number", "");
    } catch (const InputError& e) {
      trace(std::string(reader) + ": refused: " + e.what());
      if (!altered && expected_kind) defect(std::string(reader) + ": the unaltered file is refused:", e.what());
      if (!names_the_file(e, b.work) && !(part && (names_the_file(e, b.other_part) || names_the_file(e, "merge"))))
        defect(std::string(reader) + ": a refusal that does not name the file:", e.what());
    } catch (const std::exception& e) {
      defect(std::string(reader) + ": an exception other than InputError:", e.what());
    }
  };
  // Sometimes the file is also given where the other kind is expected (a part to summarize,
  // a whole file to merge).
  if (choice & 4)
    run("open_results (the other kind)", false,
        [&] { open_results(b.work, part ? ResultsKind::whole : ResultsKind::part); });
  if (part) run("merge", true, [&] { read_part(b); });
  else run("readers", true, [&] { read_whole(b.work, static_cast<Command>(command), format, choice); });
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) defect("a reader left an HDF5 object open", "");
  return 0;
}
