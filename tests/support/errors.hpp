// The message of the InputError a piece of code throws, for tests of error messages.
#pragma once

#include "errors.hpp"

#include <string>

namespace recoverysim::testing {

// "(no error)" when `f` throws nothing.
std::string input_error_of(auto&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace recoverysim::testing
