/* Small shared helpers: hex, byte order, numbers with units, dates. */
#ifndef ENSIGN_UTIL_H
#define ENSIGN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "err.h"

void ens_hex(const uint8_t *in, size_t len, char *out);	/* out: 2*len+1, lowercase */
int ens_unhex(const char *in, uint8_t *out, size_t len);	/* exactly 2*len digits; 0 or -1 */
void ens_reverse(uint8_t *dst, const uint8_t *src, size_t len);	/* dst may equal src */

static inline void ens_put_le64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline void ens_put_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline uint64_t ens_get_le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t ens_get_le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t ens_get_le16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static inline bool ens_is_pow2(uint64_t x) { return x && !(x & (x - 1)); }
/* Smallest power of two >= x (x > 0); 0 on overflow. */
uint64_t ens_next_pow2(uint64_t x);

/* Parse an unsigned integer: decimal or 0x hex, whole string, no sign.
 * 'what' names the option or variable in the message. */
int ens_parse_u64(const char *s, uint64_t *out, const char *what, struct ens_err *err);
/* Sizes: a plain or 0x number is bytes; K/M/G/T (KB/MB/GB/TB, KiB/MiB/GiB/TiB,
 * any case) are 2^10/20/30/40; a decimal number with a unit ("1.5G") must come
 * out a whole number of bytes. */
int ens_parse_size(const char *s, uint64_t *out, const char *what, struct ens_err *err);

/* DATE as BCD 0xYYYYMMDD. arg: "YYYY-MM-DD" or "YYYYMMDD" (calendar-checked),
 * or NULL for SOURCE_DATE_EPOCH if set, else today (UTC). */
int ens_date_resolve(const char *arg, uint32_t *bcd, struct ens_err *err);
uint32_t ens_date_from_time(long long epoch_seconds);	/* UTC */
bool ens_date_is_bcd(uint32_t bcd);
/* Not BCD but binary, as some Gramine-era signers wrote it: u16 year, u8 month,
 * u8 day (little-endian), a calendar date from 1970. */
bool ens_date_binary(uint32_t v, unsigned *y, unsigned *m, unsigned *d);
/* "YYYY-MM-DD" when BCD, else "0x%08x". buf >= 16. */
void ens_date_format(uint32_t bcd, char *buf, size_t len);

#endif
