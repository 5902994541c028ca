# The installable C++ library, included from the top-level CMakeLists.txt.
#
# fenlei::fenlei is one interface target over the two static libraries (fenlei_core: inference,
# fenlei_train: data, training, evaluation). The same name works three ways:
#   - installed:          find_package(fenlei CONFIG REQUIRED) (fenleiConfig.cmake below)
#   - add_subdirectory / FetchContent: the ALIAS below
#   - pkg-config:         pkg-config --cflags --libs fenlei (fenlei.pc below)
# Static libraries carry their dependencies with them, so the package config finds OpenBLAS and
# OpenCC (pkg-config), zlib and Threads for the consumer.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(fenlei_lib INTERFACE)
set_target_properties(fenlei_lib PROPERTIES EXPORT_NAME fenlei)
target_link_libraries(fenlei_lib INTERFACE fenlei_train fenlei_core)
add_library(fenlei::fenlei ALIAS fenlei_lib)
set_target_properties(fenlei_core PROPERTIES EXPORT_NAME core)
set_target_properties(fenlei_train PROPERTIES EXPORT_NAME train)
add_library(fenlei::core ALIAS fenlei_core)
add_library(fenlei::train ALIAS fenlei_train)

install(TARGETS fenlei_core fenlei_train fenlei_lib EXPORT fenleiTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fenlei DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT fenleiTargets NAMESPACE fenlei:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fenlei)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/fenleiConfig.cmake.in
  ${PROJECT_BINARY_DIR}/fenleiConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fenlei)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/fenleiConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/fenleiConfig.cmake ${PROJECT_BINARY_DIR}/fenleiConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fenlei)

# The .pc file finds its prefix from its own place, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH FENLEI_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" FENLEI_PC_TO_PREFIX "${FENLEI_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/fenlei.pc.in ${PROJECT_BINARY_DIR}/fenlei.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/fenlei.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
