/* common.h: fixed-width types, byte-order helpers and bounds macros shared by every core
 * module. Nothing here knows about packets or maps; those live in codec.h and map.h. */
#ifndef DSRLAB_COMMON_H
#define DSRLAB_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Byte order lives in the type name: be16/be32 hold network-order values as they sit in
 * the packet. Host-order fields carry no prefix. */
typedef uint16_t be16;
typedef uint32_t be32;

/* Unaligned big-endian loads and stores. Callers must have proven the bytes are in bounds. */
static inline uint16_t dl_rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t dl_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void dl_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void dl_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
/* Little-endian loads, for capture file headers written by little-endian hosts. */
static inline uint16_t dl_rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t dl_rd32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* True when [off, off+n) lies inside a buffer of len bytes, written so it cannot overflow. */
static inline bool dl_in_bounds(size_t len, size_t off, size_t n) { return off <= len && n <= len - off; }

#define DL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Compile-time checks that also compile when a header is included from C++ (the addon). */
#ifdef __cplusplus
#define DL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_COMMON_H */
