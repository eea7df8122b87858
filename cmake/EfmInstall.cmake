# install(EXPORT): another CMake project can find_package(epilepsyfm) and link epilepsyfm::epilepsyfm.
include(CMakePackageConfigHelpers)
get_property(_efm_layers GLOBAL PROPERTY EFM_LAYER_TARGETS)

add_library(efm_all INTERFACE)
target_link_libraries(efm_all INTERFACE ${_efm_layers})
set_target_properties(efm_all PROPERTIES EXPORT_NAME epilepsyfm)
add_library(epilepsyfm::epilepsyfm ALIAS efm_all)

install(TARGETS ${_efm_layers} efm_all EXPORT epilepsyfmTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS epilepsyfm epilepsyfm_torch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/epilepsyfm ${EFM_GENERATED_DIR}/include/epilepsyfm
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs DESTINATION ${CMAKE_INSTALL_DATADIR}/epilepsyfm)

set(_cfgdir ${CMAKE_INSTALL_LIBDIR}/cmake/epilepsyfm)
install(EXPORT epilepsyfmTargets NAMESPACE epilepsyfm:: DESTINATION ${_cfgdir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/epilepsyfmConfig.cmake.in
  ${CMAKE_BINARY_DIR}/epilepsyfmConfig.cmake INSTALL_DESTINATION ${_cfgdir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/epilepsyfmConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/epilepsyfmConfig.cmake ${CMAKE_BINARY_DIR}/epilepsyfmConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/FindEDFlib.cmake ${CMAKE_CURRENT_LIST_DIR}/FindBioSig.cmake
              ${CMAKE_CURRENT_LIST_DIR}/EfmFmtFirst.cmake
        DESTINATION ${_cfgdir})
