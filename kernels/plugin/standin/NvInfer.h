// Stand-in for TensorRT's NvInfer.h (see NvInferRuntime.h here): the plugin needs only the runtime part.
#pragma once

#include "NvInferRuntime.h"
