/*
 * libzstd's decoder as one translation unit for wasm32, built by scripts/build-zstd-wasm.sh
 * into src/trace/codecs/zstd-fast-wasm.ts. The same files, in the same order and with the
 * same configuration (but for ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT, below), as zstd's own single-file decoder (build/single_file_libs/
 * zstddeclib-in.c, which zstddec's build compiles), plus a small allocator: no libc is
 * linked (memcpy/memmove/memset become wasm bulk-memory instructions).
 *
 * Exports, as zstddec's emscripten build has them: memory, malloc, free, ZSTD_decompress,
 * ZSTD_isError. No imports.
 */
#define DEBUGLEVEL 0
#define MEM_MODULE
#define XXH_NAMESPACE ZSTD_
#define XXH_PRIVATE_API
#define XXH_INLINE_ALL
#define ZSTD_LEGACY_SUPPORT 0
#define ZSTD_LIB_COMPRESSION 0
#define ZSTD_LIB_DICTBUILDER 0
#define ZSTD_LIB_DEPRECATED 0
#define ZSTD_NOBENCH
#define ZSTD_STRIP_ERROR_STRINGS
#define ZSTD_TRACE 0
#define ZSTD_DISABLE_ASM 1
#define ZSTD_MULTITHREAD_SUPPORT_DEFAULT 0
#define DYNAMIC_BMI2 0
/* Only the short-offset sequence decoder: the long one differs by prefetching, a no-op in
 * wasm (the same output either way: both decode the format). Less code for V8 to compile
 * when it tiers the hot functions up, which a replay pays for in every fresh process. */
#define ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT

#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void free(void *ptr);

#include "common/debug.c"
#include "common/entropy_common.c"
#include "common/error_private.c"
#include "common/fse_decompress.c"
#include "common/zstd_common.c"
#include "decompress/huf_decompress.c"
#include "decompress/zstd_ddict.c"
#include "decompress/zstd_decompress.c"
#include "decompress/zstd_decompress_block.c"

/*
 * The allocator. Its one caller (src/trace/codecs/zstd.ts) allocates the input and the
 * output, decodes (libzstd allocates its context and frees it) and frees both: a bump
 * pointer that goes back to the start of the heap whenever nothing is allocated any more.
 * Memory grows by whole pages when the heap needs it, and never shrinks (the caller drops
 * the instance after a large buffer). malloc returns 0 when the memory cannot grow.
 */
extern unsigned char __heap_base;
static size_t heap_top = 0;
static size_t live = 0;

__attribute__((export_name("malloc"))) void *malloc(size_t size) {
  size_t base = (size_t)&__heap_base;
  if (heap_top == 0) heap_top = (base + 15) & ~(size_t)15;
  size_t at = heap_top;
  if (size > (size_t)0x80000000u) return 0;
  size_t end = (at + size + 15) & ~(size_t)15;
  if (end < at) return 0;
  size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  heap_top = end;
  live++;
  return (void *)at;
}

void *calloc(size_t n, size_t size) {
  if (size && n > (size_t)-1 / size) return 0;
  void *p = malloc(n * size);
  if (p) __builtin_memset(p, 0, n * size);
  return p;
}

__attribute__((export_name("free"))) void free(void *ptr) {
  if (!ptr) return;
  if (--live == 0) heap_top = ((size_t)&__heap_base + 15) & ~(size_t)15;
}

__attribute__((export_name("ZSTD_decompress"))) size_t zstd_decompress(void *dst, size_t dstCapacity, const void *src, size_t srcSize) {
  return ZSTD_decompress(dst, dstCapacity, src, srcSize);
}

__attribute__((export_name("ZSTD_isError"))) unsigned zstd_isError(size_t code) {
  return ZSTD_isError(code);
}
