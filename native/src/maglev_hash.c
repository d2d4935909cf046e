/* maglev_hash.c: Cilium's packet-side Maglev hash: jhash from bpf/lib/jhash.h and the tuple
 * hash from bpf/lib/hash.h, with the port word of each datapath version. The lookup table
 * itself is built in maglev.c. */
#include "dsrlab/maglev_hash.h"

#define JHASH_INITVAL 0xdeadbeefu

static inline uint32_t rol32(uint32_t w, unsigned s) { return (w << s) | (w >> ((32 - s) & 31)); }

#define jhash_mix(a, b, c)                                  \
	do {                                                \
		a -= c; a ^= rol32(c, 4);  c += b;          \
		b -= a; b ^= rol32(a, 6);  a += c;          \
		c -= b; c ^= rol32(b, 8);  b += a;          \
		a -= c; a ^= rol32(c, 16); c += b;          \
		b -= a; b ^= rol32(a, 19); a += c;          \
		c -= b; c ^= rol32(b, 4);  b += a;          \
	} while (0)

#define jhash_final(a, b, c)                                \
	do {                                                \
		c ^= b; c -= rol32(b, 14);                  \
		a ^= c; a -= rol32(c, 11);                  \
		b ^= a; b -= rol32(a, 25);                  \
		c ^= b; c -= rol32(b, 16);                  \
		a ^= c; a -= rol32(c, 4);                   \
		b ^= a; b -= rol32(a, 14);                  \
		c ^= b; c -= rol32(b, 24);                  \
	} while (0)

uint32_t dl_jhash(const void *key, uint32_t length, uint32_t initval)
{
	const uint8_t *k = key;
	uint32_t a, b, c;

	a = b = c = JHASH_INITVAL + length + initval;
	while (length > 12) {
		a += dl_rd32le(k);
		b += dl_rd32le(k + 4);
		c += dl_rd32le(k + 8);
		jhash_mix(a, b, c);
		length -= 12;
		k += 12;
	}
	if (length == 0)
		return c; /* nothing left to add */
	/* The last 1..12 bytes, each shifted into place (lookup3's switch fallthrough). */
	for (uint32_t i = length; i > 8; i--)
		c += (uint32_t)k[i - 1] << (8 * (i - 9));
	for (uint32_t i = length < 8 ? length : 8; i > 4; i--)
		b += (uint32_t)k[i - 1] << (8 * (i - 5));
	for (uint32_t i = length < 4 ? length : 4; i > 0; i--)
		a += (uint32_t)k[i - 1] << (8 * (i - 1));
	jhash_final(a, b, c);
	return c;
}

static uint32_t jhash_nwords(uint32_t a, uint32_t b, uint32_t c, uint32_t initval)
{
	a += initval;
	b += initval;
	c += initval;
	jhash_final(a, b, c);
	return c;
}

uint32_t dl_jhash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t initval)
{
	return jhash_nwords(a, b, c, initval + JHASH_INITVAL + (3 << 2));
}

uint32_t dl_jhash_2words(uint32_t a, uint32_t b, uint32_t initval)
{
	return jhash_nwords(a, b, 0, initval + JHASH_INITVAL + (2 << 2));
}

uint32_t dl_jhash_1word(uint32_t a, uint32_t initval)
{
	return jhash_nwords(a, 0, 0, initval + JHASH_INITVAL + (1 << 2));
}

/* LE16 of a port's two network-order bytes, i.e. the byte-swapped host value. */
static inline uint32_t port_le16(uint16_t port) { return (uint32_t)(uint16_t)((port >> 8) | (port << 8)); }

uint32_t dl_maglev_ports_word(uint16_t client_port, uint16_t service_port, bool affinity,
			      enum dl_maglev_hash_version version)
{
	uint32_t client = port_le16(client_port), service = port_le16(service_port);

	switch (version) {
	case DL_MAGLEV_HASH_PRE_37353:
		/* CT tuple is reversed (tuple->sport holds the service port) and the old code
		 * zeroed tuple->sport under affinity. */
		return (client << 16) | (affinity ? 0 : service);
	case DL_MAGLEV_HASH_LEGACY:
		return (client << 16) | service;
	case DL_MAGLEV_HASH_CURRENT:
	default:
		return (service << 16) | (affinity ? 0 : client);
	}
}

uint32_t __dl_hash_from_tuple_v4(uint32_t saddr_le, uint32_t ports, uint8_t nexthdr,
				 uint32_t seed_jhash0)
{
	return dl_jhash_3words(saddr_le, ports, nexthdr, seed_jhash0);
}

uint32_t __dl_hash_from_tuple_v6(const uint32_t saddr_le[4], uint32_t ports, uint8_t nexthdr,
				 uint32_t seed_jhash1)
{
	uint32_t a = saddr_le[0], b = saddr_le[1], c = saddr_le[2];

	jhash_mix(a, b, c);
	a += saddr_le[3];
	b += ports;
	c += nexthdr;
	jhash_mix(a, b, c);
	/* In the IPv6 path the seed only enters before the final step. */
	a += seed_jhash1;
	jhash_final(a, b, c);
	return c;
}

uint32_t dl_lb4_maglev_hash(const uint8_t saddr[4], uint16_t client_port, uint16_t service_port,
			    uint8_t nexthdr, bool affinity, enum dl_maglev_hash_version version,
			    uint32_t seed_jhash0)
{
	return __dl_hash_from_tuple_v4(dl_rd32le(saddr),
				       dl_maglev_ports_word(client_port, service_port, affinity, version),
				       nexthdr, seed_jhash0);
}

uint32_t dl_lb6_maglev_hash(const uint8_t saddr[16], uint16_t client_port, uint16_t service_port,
			    uint8_t nexthdr, bool affinity, enum dl_maglev_hash_version version,
			    uint32_t seed_jhash1)
{
	const uint32_t p[4] = { dl_rd32le(saddr), dl_rd32le(saddr + 4), dl_rd32le(saddr + 8),
				dl_rd32le(saddr + 12) };
	return __dl_hash_from_tuple_v6(p, dl_maglev_ports_word(client_port, service_port, affinity, version),
				       nexthdr, seed_jhash1);
}
