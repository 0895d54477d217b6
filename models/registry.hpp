// The built-in intervention modules, registered in one place (registry.cpp), each with its own
// block of random stream ids. The modules layer: the application asks it for the modules by
// name; the model layer below knows only the contract (recovery/intervention.hpp).
#pragma once

#include "models/recovery/intervention.hpp"

namespace recoverysim::recovery {

const InterventionRegistry& builtin_interventions();

}  // namespace recoverysim::recovery
