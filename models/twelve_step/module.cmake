target_sources(recoverysim_models PRIVATE ${CMAKE_CURRENT_LIST_DIR}/twelve_step.cpp)
