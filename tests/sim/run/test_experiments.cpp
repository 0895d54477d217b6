// Experiments: sweeps, uncertain parameters and the analysis stored in the results file.
#include <doctest/doctest.h>
