# FindBioSig: libbiosig (Debian libbiosig-dev; GPL-3+). Defines BioSig_FOUND and the imported target BioSig::BioSig.
find_path(BioSig_INCLUDE_DIR NAMES biosig.h)
find_library(BioSig_LIBRARY NAMES biosig)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(BioSig REQUIRED_VARS BioSig_LIBRARY BioSig_INCLUDE_DIR)
if(BioSig_FOUND AND NOT TARGET BioSig::BioSig)
  add_library(BioSig::BioSig UNKNOWN IMPORTED)
  set_target_properties(BioSig::BioSig PROPERTIES
    IMPORTED_LOCATION "${BioSig_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${BioSig_INCLUDE_DIR}")
endif()
mark_as_advanced(BioSig_INCLUDE_DIR BioSig_LIBRARY)
