target_sources(recoverysim_models PRIVATE ${CMAKE_CURRENT_LIST_DIR}/group.cpp)
recoverysim_kernel_sources(recoverysim_models SOURCES ${CMAKE_CURRENT_LIST_DIR}/group_tiles.cpp)
