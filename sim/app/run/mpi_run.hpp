// Running a scenario on MPI ranks: rank 0 hands out work units one at a time to whichever
// rank asks (itself included, from a second thread), every rank writes its units to the
// staging directory (on a file system all ranks see), and rank 0 assembles the results file
// once all are done. The file is the one a single process writes, whatever the rank count.
#pragma once

#include "calibration.hpp"
#include "runner.hpp"

namespace recoverysim::mpi {

// Whether this process was started by an MPI launcher (mpirun/mpiexec, srun with PMI or PMIx).
bool launched_by_mpi();

// MPI for the life of the object: initialised in the constructor, finalised in the destructor.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  int ranks_on_this_node() const { return local_size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
};

// Runs `scenario` across the ranks of `session`. Every rank calls it with the same scenario
// and options; rank 0 returns the result, the others an empty one.
RunResult run_scenario(Scenario& scenario, const RunOptions& options, const Session& session);

// Runs a calibration across the ranks of `session` (calibration.hpp, CalibrationTeam): every
// rank calls it with the same calibration and options; rank 0 writes the fit.
CalibrationResult calibrate(const Calibration& calibration, const CalibrateOptions& options, const Session& session);

}  // namespace recoverysim::mpi
