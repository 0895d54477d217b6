// Signal handlers that only set a flag (see interrupt.hpp).
#include "interrupt.hpp"

#include <csignal>
#include <string>

namespace recoverysim {

namespace {

volatile std::sig_atomic_t received = 0;

extern "C" void record_signal(int signal) { received = signal; }

}  // namespace

Interrupted::Interrupted(int signal)
    : std::runtime_error(std::string("interrupted by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM")), signal_(signal) {}

void stop_on_signals() {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  // The first signal asks for a clean stop; the handler is then reset, so a second one ends
  // the process the usual way.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Past a file-size limit (ulimit -f) a write then fails with "File too large", which is
  // reported like a full disk, instead of the signal killing the process without a word.
  std::signal(SIGXFSZ, SIG_IGN);
}

void throw_if_interrupted() {
  if (received != 0) throw Interrupted(received);
}

}  // namespace recoverysim
