# BioSig is GPL-3+: it is optional so that the project itself stays permissively licensed. ON by default when
# found; a build with it is a combined work that must be redistributed under GPL-3+ (see third_party/README.md).
find_package(BioSig QUIET)
option(EFM_WITH_BIOSIG "Build the tolerant BioSig reader (GPL-3+ dependency)" ${BioSig_FOUND})
if(EFM_WITH_BIOSIG AND NOT BioSig_FOUND)
  message(FATAL_ERROR "EFM_WITH_BIOSIG=ON but libbiosig was not found: install libbiosig-dev "
                      "(scripts/setup.sh does) or configure with -DEFM_WITH_BIOSIG=OFF")
endif()
