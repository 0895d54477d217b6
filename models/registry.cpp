// The one place where the built-in intervention modules are registered, each with its own
// block of random stream ids (so that adding a module never moves another's draws).
#include "registry.hpp"
#include "contingency_management/contingency_management.hpp"
#include "group/group.hpp"
#include "peer_mentor/peer_mentor.hpp"
#include "programme/programme.hpp"
#include "twelve_step/twelve_step.hpp"

namespace recoverysim::recovery {

const InterventionRegistry& builtin_interventions() {
  static const InterventionRegistry registry = [] {
    InterventionRegistry r;
    r.add<PeerMentor>("peer_mentor", 1000);
    r.add<Group>("group", 1100);
    r.add<TwelveStep>("twelve_step", 1200);
    r.add<Programme>("programme", 1300);
    r.add<ContingencyManagement>("contingency_management", 1400);
    return r;
  }();
  return registry;
}

}  // namespace recoverysim::recovery
