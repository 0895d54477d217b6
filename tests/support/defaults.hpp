// Helpers shared by the model tests: the default parameters, without a scenario file.
#pragma once

#include "models/recovery/parameters.hpp"

namespace recoverysim::testing {

inline recovery::Parameters default_parameters() {
  recovery::Parameters p;
  ParamTable table;
  recovery::declare_parameters(table, p);
  return p;
}

}  // namespace recoverysim::testing
