# Locates ONNX Runtime under YOLOXRT_ORT_ROOT (the folder scripts/setup.sh fills, an official
# release tarball, or a system prefix such as /usr) and defines onnxruntime::onnxruntime.
find_path(YOLOXRT_ORT_INCLUDE_DIR onnxruntime_cxx_api.h
  HINTS "${YOLOXRT_ORT_ROOT}/include" "${YOLOXRT_ORT_ROOT}/include/onnxruntime"
        "${YOLOXRT_ORT_ROOT}/include/onnxruntime/core/session"
  NO_DEFAULT_PATH)
find_library(YOLOXRT_ORT_LIBRARY NAMES onnxruntime
  HINTS "${YOLOXRT_ORT_ROOT}/lib" "${YOLOXRT_ORT_ROOT}/lib64" "${YOLOXRT_ORT_ROOT}/lib/x86_64-linux-gnu"
  NO_DEFAULT_PATH)
if(NOT YOLOXRT_ORT_INCLUDE_DIR OR NOT YOLOXRT_ORT_LIBRARY)
  message(FATAL_ERROR "ONNX Runtime not found under YOLOXRT_ORT_ROOT='${YOLOXRT_ORT_ROOT}'. "
    "Run scripts/setup.sh, or pass -DYOLOXRT_ORT_ROOT=<folder with include/ and lib/>.")
endif()
get_filename_component(YOLOXRT_ORT_LIBDIR "${YOLOXRT_ORT_LIBRARY}" DIRECTORY)
add_library(onnxruntime::onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime::onnxruntime PROPERTIES
  IMPORTED_LOCATION "${YOLOXRT_ORT_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${YOLOXRT_ORT_INCLUDE_DIR}")
message(STATUS "ONNX Runtime: ${YOLOXRT_ORT_LIBRARY} (headers ${YOLOXRT_ORT_INCLUDE_DIR})")
