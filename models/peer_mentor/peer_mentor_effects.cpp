// The peer_mentor module's effect hook (PeerMentor::effect), compiled once per kernel
// (simple_module.hpp).
#include "peer_mentor.hpp"

#include "kernel_region.hpp"  // what follows is compiled for this file's kernel
#include "models/recovery/simple_module_tiles.hpp"

RECOVERYSIM_SIMPLE_MODULE_EFFECTS(recoverysim::recovery::PeerMentor)
