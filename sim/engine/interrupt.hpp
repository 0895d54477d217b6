// Stopping a run cleanly on SIGINT or SIGTERM. The handler only records the signal; the run
// loop checks between blocks of days and throws Interrupted, so files are closed and a unit
// being written is discarded. A second signal ends the process at once.
#pragma once

#include <stdexcept>

namespace recoverysim {

class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Installs the handlers for SIGINT and SIGTERM, and ignores SIGXFSZ (a write past the file-size
// limit then fails with an error instead).
void stop_on_signals();
// Throws Interrupted if a signal arrived since stop_on_signals().
void throw_if_interrupted();

}  // namespace recoverysim
