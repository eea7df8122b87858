# FindEDFlib: Teunis van Beelen's EDFlib as packaged by Debian (libedf-dev: /usr/include/edflib.h, libedf.a).
# Defines EDFlib_FOUND, EDFlib_INCLUDE_DIR, EDFlib_LIBRARY and the imported target EDFlib::EDFlib.
find_path(EDFlib_INCLUDE_DIR NAMES edflib.h)
find_library(EDFlib_LIBRARY NAMES edf libedf.a edflib)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(EDFlib REQUIRED_VARS EDFlib_LIBRARY EDFlib_INCLUDE_DIR)
if(EDFlib_FOUND AND NOT TARGET EDFlib::EDFlib)
  add_library(EDFlib::EDFlib UNKNOWN IMPORTED)
  set_target_properties(EDFlib::EDFlib PROPERTIES
    IMPORTED_LOCATION "${EDFlib_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${EDFlib_INCLUDE_DIR}"
    # EDFlib uses large-file offsets; Debian builds it with _LARGEFILE64_SOURCE.
    INTERFACE_COMPILE_DEFINITIONS "_LARGEFILE64_SOURCE;_LARGEFILE_SOURCE")
endif()
mark_as_advanced(EDFlib_INCLUDE_DIR EDFlib_LIBRARY)
