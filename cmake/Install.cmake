# Installs the libraries, public headers, the CLI, a CMake package (find_package(yoloxrt)) and a
# pkg-config file. Consumers link yoloxrt::yoloxrt (core + export + inference).
include(CMakePackageConfigHelpers)

add_library(yoloxrt INTERFACE)
add_library(yoloxrt::yoloxrt ALIAS yoloxrt)
target_link_libraries(yoloxrt INTERFACE yoloxrt_core yoloxrt_export yoloxrt_inference yoloxrt_track yoloxrt_quantize)

install(TARGETS yoloxrt yoloxrt_core yoloxrt_export yoloxrt_inference yoloxrt_track yoloxrt_quantize
  EXPORT yoloxrtTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS yoloxrt_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS yoloxrt_imageio yoloxrt_videoio LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/yoloxrt)
install(DIRECTORY include/yoloxrt DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# ONNX Runtime travels with yoloxrt so the installed tree is self-contained.
install(FILES "${YOLOXRT_ORT_LIBRARY}" DESTINATION ${CMAKE_INSTALL_LIBDIR})
file(GLOB _ort_sonames "${YOLOXRT_ORT_LIBDIR}/libonnxruntime.so*")
install(FILES ${_ort_sonames} DESTINATION ${CMAKE_INSTALL_LIBDIR})

install(EXPORT yoloxrtTargets NAMESPACE yoloxrt:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/yoloxrt)
configure_package_config_file(cmake/yoloxrtConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/yoloxrtConfig.cmake"
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/yoloxrt)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/yoloxrtConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/yoloxrtConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/yoloxrtConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/yoloxrt)
configure_file(cmake/yoloxrt.pc.in "${CMAKE_CURRENT_BINARY_DIR}/yoloxrt.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/yoloxrt.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
