"""What the tests that start recoverysim as a process share: running a command and stopping the
test when it fails, comparing two results files byte for byte (scripts/same_results.py), and
killing a run with every process it started (MPI ranks included).

A test imports it with tests/support on its path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[N] / "support"))
    from processes import Checks, MPI_ENV, kill_session, run
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Under a sanitizer (RECOVERYSIM_TEST_SANITIZED, set by CMake) the simulation runs about 25 times
# slower, and the tests that kill long runs shrink their cohorts. The work units stay at 3
# replicates whatever the cohort (RECOVERYSIM_UNIT_REPLICATES, for every run these tests start),
# so that a run can still be killed between units.
SANITIZED = os.environ.get("RECOVERYSIM_TEST_SANITIZED") == "1"
if SANITIZED:
    os.environ["RECOVERYSIM_UNIT_REPLICATES"] = "3"

# OpenMPI refuses root unless told; CI runs as root. Oversubscription lets 3 ranks run on 2 cores.
MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")


def run(args, expect=0, env=None, timeout=300):
    """Runs a command; stops the test, with its output, unless it exits with `expect`."""
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout)
    if result.returncode != expect:
        sys.exit(f"FAIL: {' '.join(map(str, args))}\nexit {result.returncode}, expected {expect}\n"
                 f"{result.stdout}\n{result.stderr}")
    return result


class Checks:
    """The checks of one test: each prints ok or FAIL, and `finish` exits 1 if any failed."""

    def __init__(self, source):
        self.same_results = [sys.executable, str(Path(source) / "scripts" / "same_results.py")]
        self.failures = []

    def check(self, condition, what, detail=""):
        print(("ok: " if condition else "FAIL: ") + what + ("" if condition or not detail else f"\n{detail}"))
        if not condition:
            self.failures.append(what)
        return condition

    def same(self, reference, other, what):
        """Every dataset of `other` equals `reference`'s, byte for byte."""
        result = subprocess.run(self.same_results + [str(reference), str(other)], capture_output=True, text=True)
        return self.check(result.returncode == 0, what, result.stdout + result.stderr)

    def finish(self):
        if self.failures:
            sys.exit(f"{len(self.failures)} check(s) failed: " + "; ".join(self.failures))


def session_members(session):
    """The processes of a session: what a run started, MPI ranks included (they get their own
    process groups, and outlive mpirun by a moment when it is killed)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def start_in_session(command, env=None):
    """Starts a command in a session of its own, so that kill_session reaches all it starts."""
    return subprocess.Popen([str(a) for a in command], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(process, ready, what, timeout):
    """Waits until ready() holds; stops the test if the process ends first or time runs out."""
    deadline = time.time() + timeout
    while not ready():
        if process.poll() is not None:
            sys.exit(f"FAIL: the process ended (exit {process.returncode}) before {what}")
        if time.time() > deadline:
            sys.exit(f"FAIL: no {what} within {timeout} s")
        time.sleep(0.005)


def kill_session(process):
    """SIGKILL to every process of the process's session, then waits until they are all gone."""
    deadline = time.time() + 60
    while members := session_members(process.pid):
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.poll()  # reaps the process itself; its children are reaped by init
        if time.time() > deadline:
            sys.exit(f"FAIL: processes {members} of a killed run did not end")
        time.sleep(0.01)
    process.wait()
