// The contingency management module's effect hook, compiled once per kernel.
#include "contingency_management.hpp"

#include "kernel_region.hpp"  // what follows is compiled for this file's kernel
#include "models/recovery/simple_module_tiles.hpp"

RECOVERYSIM_SIMPLE_MODULE_EFFECTS(recoverysim::recovery::ContingencyManagement)
