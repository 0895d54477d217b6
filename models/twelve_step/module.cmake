target_sources(recoverysim_modules PRIVATE ${CMAKE_CURRENT_LIST_DIR}/twelve_step.cpp)
recoverysim_kernel_sources(recoverysim_modules SOURCES ${CMAKE_CURRENT_LIST_DIR}/twelve_step_tiles.cpp)
