# efm_add_layer(<name> SOURCES ... DEPS ... [TORCH])
# One static library per architectural layer, linked one way: core <- config <- io, signal
# <- data <- models <- train <- eval <- cli. TORCH layers precompile <torch/torch.h> once and share it.

set(EFM_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)

if(EFM_USE_PCH)
  # One precompiled torch header, reused by every torch-using target (same flags everywhere).
  add_library(efm_torch_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_stub.cpp)
  target_link_libraries(efm_torch_pch PUBLIC torch)
  target_precompile_headers(efm_torch_pch PRIVATE <torch/torch.h> <vector> <string> <memory>)
  efm_set_warnings(efm_torch_pch)  # same flags as its users (-Wpedantic changes predefined macros)
endif()

function(efm_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  if(EFM_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM efm_torch_pch)
  endif()
endfunction()

function(efm_add_layer name)
  cmake_parse_arguments(L "TORCH" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target efm_${name})
  add_library(${target} STATIC ${L_SOURCES})
  add_library(epilepsyfm::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${EFM_GENERATED_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${L_DEPS} $<BUILD_INTERFACE:efm_fmt_first> PRIVATE ${L_PRIVATE_DEPS})
  if(L_TORCH)
    efm_use_torch(${target})
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME efm_${name})
  efm_set_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY EFM_LAYER_TARGETS ${target})
endfunction()

# efm_glob_sources(<var> [EXCLUDE_REGEX regex]): the .cpp files under the current source directory (recursive).
# Layers glob their sources so that parallel work on different files of one layer never edits the same list.
function(efm_glob_sources var)
  cmake_parse_arguments(G "" "EXCLUDE_REGEX" "" ${ARGN})
  file(GLOB_RECURSE _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(G_EXCLUDE_REGEX)
    list(FILTER _srcs EXCLUDE REGEX "${G_EXCLUDE_REGEX}")
  endif()
  set(${var} ${_srcs} PARENT_SCOPE)
endfunction()
