// Fuzz target: the scenario loader and validator on arbitrary bytes, as `recoverysim run` reads
// a file before it allocates anything (load, check, plan the run, draw the uncertain values).
//
// Every input must either be accepted or refused with an InputError that names a place. An
// accepted scenario's resolved YAML must load again and resolve to the same text, because
// resuming and merging compare it. Anything else (another exception, a sanitizer report, a
// timeout, memory beyond the limit) is a defect.
//
// A scenario that expands to more than max_planned_arms arms is loaded and checked but not
// planned: planning and resolving cost time and memory in proportion to the arms (the largest
// allowed, 10,000 arms with three modules, resolves to 28 MB of YAML in about 4 s in a release
// build and more than the fuzzer's memory limit here), and such inputs only spend the budget on
// the same code again. The 10,000-arm limit itself is tested in tests/sim/run.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "errors.hpp"
#include "run/runner.hpp"
#include "run/scenario.hpp"
#include "run/tasks.hpp"

namespace {

constexpr std::size_t max_planned_arms = 1000;

[[noreturn]] void defect(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_scenario: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recoverysim;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string resolved;
  try {
    Scenario scenario;
    scenario.load_text(text, "fuzz.yaml");
    if (scenario.arms.size() > max_planned_arms) return 0;
    resolved = plan_run(scenario, Shard{}).scenario_yaml;
  } catch (const InputError& e) {
    if (std::string(e.what()).rfind("fuzz.yaml", 0) != 0) defect("a refusal that names no place:", e.what());
    return 0;
  }
  try {
    Scenario again;
    again.load_text(resolved, "resolved.yaml");
    if (again.resolved_yaml() != resolved) defect("the resolved scenario resolves differently:", resolved);
  } catch (const InputError& e) {
    defect("the resolved scenario is refused:", std::string(e.what()) + "\n" + resolved);
  }
  return 0;
}
