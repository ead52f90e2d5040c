#ifndef CVIREO_SUPPORT_H
#define CVIREO_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// CRC32C (Castagnoli) of `length` bytes, continuing from `crc` (start with 0).
/// Uses the SSE4.2 instruction when the processor has it, a table otherwise.
uint32_t vireo_crc32c(uint32_t crc, const void *data, size_t length);

#endif
