// The MPI driver (see mpi_run.hpp). Only rank 0's main thread calls MPI after set-up
// (MPI_THREAD_FUNNELED): it answers requests while its own units run on another thread.
#include "mpi_run.hpp"

#include "errors.hpp"
#include "progress.hpp"

#include <mpi.h>
#include <tbb/global_control.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

namespace recoverysim::mpi {

namespace {

constexpr int tag_request = 1;  // worker -> 0: the unit it finished (-1: none), and asks for another
constexpr int tag_assign = 2;   // 0 -> worker: a unit to run, or -1: stop
constexpr std::int64_t no_unit = -1;

// Rank 0's queue of units, shared by its main thread and its own worker thread.
class Dispatcher {
 public:
  explicit Dispatcher(const std::vector<std::size_t>& todo) : todo_(todo) {}
  std::int64_t next() {
    std::lock_guard lock(mutex_);
    return next_ < todo_.size() ? static_cast<std::int64_t>(todo_[next_++]) : no_unit;
  }

 private:
  std::mutex mutex_;
  const std::vector<std::size_t>& todo_;
  std::size_t next_ = 0;
};

}  // namespace

bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(variable)) return true;
  return false;
}

Session::Session(int& argc, char**& argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) {
    std::fprintf(stderr, "recoverysim: error: the MPI library does not allow threads (MPI_THREAD_FUNNELED)\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &local_size_);
  MPI_Comm_free(&node);
}

Session::~Session() { MPI_Finalize(); }

RunResult run_scenario(Scenario& scenario, const RunOptions& options, const Session& session) {
  const RunPlan plan = plan_run(scenario, options.shard);
  // The cores of a node are shared by the ranks on it.
  const int threads = resolve_threads(options.threads, session.ranks_on_this_node());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  const std::string directory = UnitStore::directory_of(options.output_path);

  if (session.rank() != 0) {
    // Set-up on rank 0 may refuse the run (say, an interrupted run without --resume).
    int ready = 0;
    MPI_Bcast(&ready, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ready) return {};
    StagingLock lock;
    try {
      lock = StagingLock::share(directory);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "recoverysim: error: rank %d: %s\n", session.rank(), e.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    UnitRunner runner(scenario, arena);
    Progress silent(0, false);
    double output_seconds = 0;
    for (std::int64_t finished = no_unit;;) {
      std::int64_t unit = no_unit;
      MPI_Send(&finished, 1, MPI_INT64_T, 0, tag_request, MPI_COMM_WORLD);
      MPI_Recv(&unit, 1, MPI_INT64_T, 0, tag_assign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (unit == no_unit) return {};
      const WorkUnit& work = plan.units.at(static_cast<std::size_t>(unit));
      try {
        runner.run(work, UnitStore::unit_path(directory, work), silent, output_seconds);
      } catch (const std::exception& e) {
        // Units finished so far stay in the staging directory for --resume.
        std::fprintf(stderr, "recoverysim: error: rank %d: %s\n", session.rank(), e.what());
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      finished = unit;
    }
  }

  std::optional<UnitStore> store;
  try {
    store.emplace(options.output_path, plan.identity_yaml, options.resume);
  } catch (...) {
    int ready = 0;
    MPI_Bcast(&ready, 1, MPI_INT, 0, MPI_COMM_WORLD);
    throw;
  }
  int ready = 1;
  MPI_Bcast(&ready, 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<std::size_t> todo;
  RunResult result = start_result(scenario, options, plan, *store, todo);
  Progress progress(result.agent_days, options.show_progress);
  const std::int64_t agent_days_per_replicate = scenario.model.population.size * scenario.run.days;
  auto unit_agent_days = [&](std::int64_t u) {
    return plan.units.at(static_cast<std::size_t>(u)).replicates * agent_days_per_replicate;
  };

  // Rank 0's own share, on a second thread; its progress is reported back to this one.
  Dispatcher dispatcher(todo);
  std::atomic<std::int64_t> local_agent_days{0};
  std::atomic<bool> local_done{false};
  std::exception_ptr local_error;
  double local_output_seconds = 0;
  std::thread local([&] {
    try {
      UnitRunner runner(scenario, arena);
      Progress silent(0, false);
      for (std::int64_t u; (u = dispatcher.next()) != no_unit;) {
        const WorkUnit& work = plan.units.at(static_cast<std::size_t>(u));
        runner.run(work, store->unit_path(work), silent, local_output_seconds);
        local_agent_days += unit_agent_days(u);
      }
    } catch (...) {
      local_error = std::current_exception();
    }
    local_done = true;
  });

  int workers = session.size() - 1;
  std::int64_t shown = 0, remote_agent_days = 0;
  while (workers > 0 || !local_done) {
    int waiting = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, tag_request, MPI_COMM_WORLD, &waiting, &status);
    if (waiting) {
      std::int64_t finished = no_unit;
      MPI_Recv(&finished, 1, MPI_INT64_T, status.MPI_SOURCE, tag_request, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (finished != no_unit) remote_agent_days += unit_agent_days(finished);
      // A failure on this rank stops handing out work; the others finish what they hold.
      const std::int64_t unit = local_error ? no_unit : dispatcher.next();
      MPI_Send(&unit, 1, MPI_INT64_T, status.MPI_SOURCE, tag_assign, MPI_COMM_WORLD);
      if (unit == no_unit) --workers;
    } else {
      // Sleep instead of spinning: the cores belong to the units.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::int64_t done = remote_agent_days + local_agent_days.load();
    if (done != shown) {
      progress.advance(done - shown, "units from " + std::to_string(session.size()) + " ranks");
      shown = done;
    }
  }
  local.join();
  if (local_error) std::rethrow_exception(local_error);
  progress.finish();
  result.output_seconds += local_output_seconds;
  finish_run(scenario, plan, *store, options, result);
  result.seconds = progress.elapsed_seconds() - result.analysis_seconds;
  return result;
}

CalibrationResult calibrate(const Calibration& calibration, const CalibrateOptions& options, const Session& session) {
  const int threads = resolve_threads(options.threads, session.ranks_on_this_node());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  CalibrateOptions own = options;
  own.threads = threads;
  // Barriers and the broadcast come from the main thread, between waves (MPI_THREAD_FUNNELED).
  CalibrationTeam team;
  team.rank = session.rank();
  team.size = session.size();
  team.barrier = [] { MPI_Barrier(MPI_COMM_WORLD); };
  team.ready = [](bool ok) {
    int value = ok ? 1 : 0;
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value != 0;
  };
  return recoverysim::calibrate(calibration, own, team);
}

}  // namespace recoverysim::mpi
