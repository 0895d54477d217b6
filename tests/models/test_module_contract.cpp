// Every module of the registry has the shared contract tests (support/module_contract.hpp): a
// module added without its RECOVERYSIM_MODULE_CONTRACT line fails here.
#include "models/recovery/intervention.hpp"

#include "models/registry.hpp"
#include "support/module_contract.hpp"

#include <doctest/doctest.h>

TEST_CASE("modules: every registered module has the contract tests") {
  const auto types = recoverysim::recovery::builtin_interventions().types();
  REQUIRE(!types.empty());
  for (const auto& type : types) CHECK_MESSAGE(recoverysim::testing::modules_with_contract_tests().count(type), type);
}
