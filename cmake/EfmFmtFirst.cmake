# efm_fmt_first(<target> <dir>): an INTERFACE target whose include directory <dir> holds only a link to the system's
# fmt headers, searched before LibTorch's. Why: pip LibTorch's include directory carries its own fmt (12.x) headers and
# comes first on the compiler's search path, while spdlog and libfmt.so (libfmt-dev) are fmt 9: code including
# <fmt/...> must see the headers of the library it links. Used by the build (cmake/EfmTargets.cmake) and by
# epilepsyfmConfig.cmake for installed consumers.
function(efm_fmt_first target dir)
  if(TARGET ${target})
    return()
  endif()
  get_target_property(_inc fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  find_path(EFM_FMT_INCLUDE_DIR NAMES fmt/format.h HINTS ${_inc} NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH)
  if(NOT EFM_FMT_INCLUDE_DIR OR NOT EXISTS "${EFM_FMT_INCLUDE_DIR}/fmt/core.h")
    message(FATAL_ERROR "fmt headers (libfmt-dev) not found")
  endif()
  file(MAKE_DIRECTORY ${dir})
  file(CREATE_LINK ${EFM_FMT_INCLUDE_DIR}/fmt ${dir}/fmt SYMBOLIC)
  add_library(${target} INTERFACE)
  target_include_directories(${target} BEFORE INTERFACE $<BUILD_INTERFACE:${dir}>)
endfunction()
