# Per-target warnings, sanitizers and ccache.

function(efm_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic
                           -Wno-missing-field-initializers)  # aggregates with defaulted trailing members
    if(EFM_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

if(EFM_SANITIZE)
  string(REPLACE ";" "," _efm_san "${EFM_SANITIZE}")
  message(STATUS "Sanitizers: ${_efm_san}")
  add_compile_options(-fsanitize=${_efm_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_efm_san})
endif()

if(EFM_USE_CCACHE)
  find_program(EFM_CCACHE ccache)
  if(EFM_CCACHE)
    # pch_defines/time_macros: needed for ccache to cache translation units that use a precompiled header.
    set(_launcher ${CMAKE_COMMAND} -E env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        # Relative paths inside the tree: clones and worktrees in other directories share cache entries.
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" ${EFM_CCACHE})
    set(CMAKE_C_COMPILER_LAUNCHER ${_launcher})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${_launcher})
    message(STATUS "ccache: ${EFM_CCACHE}")
  endif()
endif()
