target_sources(recoverysim_modules PRIVATE ${CMAKE_CURRENT_LIST_DIR}/peer_mentor.cpp)
recoverysim_kernel_sources(recoverysim_modules SOURCES ${CMAKE_CURRENT_LIST_DIR}/peer_mentor_effects.cpp)
