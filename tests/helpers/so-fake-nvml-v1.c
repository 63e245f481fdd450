/* so-fake-nvml-v1.c: the fake NVML with only the legacy (v1) symbols. */
#define FAKE_NVML_NO_V2 1
#include "so-fake-nvml.c"
