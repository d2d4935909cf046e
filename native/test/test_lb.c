/* test_lb.c: service lookup (exact and wildcard), random and Maglev selection, affinity. */
#include <stdio.h>
#include "dsrlab/lb.h"
#include "dsrlab/drop.h"
#include "dsrlab/maglev.h"

static int passed, failed;
#define CHECK(c) do { if (c) passed++; else { failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)

static struct dl_lb_key key4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port, uint8_t proto)
{
	struct dl_lb_key k;
	memset(&k, 0, sizeof(k));
	k.addr[0] = a; k.addr[1] = b; k.addr[2] = c; k.addr[3] = d;
	k.port = port;
	k.proto = proto;
	k.family = 4;
	return k;
}

static void setup(struct dl_lb *lb, uint8_t alg)
{
	struct dl_lb_config cfg = {.max_services = 64, .maglev_m = 251, .seed_jhash0 = 0x71dcda46,
				   .seed_jhash1 = 0x92505688, .hash_version = DL_MAGLEV_HASH_CURRENT,
				   .default_algorithm = alg};
	CHECK(dl_lb_init(lb, &cfg) == 0);
	for (uint32_t id = 1; id <= 3; id++) {
		struct dl_lb_backend be;
		memset(&be, 0, sizeof(be));
		be.addr[0] = 10; be.addr[1] = 0; be.addr[2] = 1; be.addr[3] = (uint8_t)id;
		be.port = 8080;
		be.proto = 6;
		be.family = 4;
		CHECK(dl_lb_add_backend(lb, id, &be) == 0);
	}
}

static void test_lookup_and_random(void)
{
	struct dl_lb lb;
	uint32_t ids[3] = {1, 2, 3};
	struct dl_lb_service svc = {.rev_nat_index = 7, .count = 3, .flags = DL_SVC_FLAG_ROUTABLE, .algorithm = DL_LB_ALG_RANDOM};
	struct dl_lb_service wild = {.rev_nat_index = 8, .count = 0};
	struct dl_lb_key k = key4(198, 51, 100, 10, 80, 6), w = key4(198, 51, 100, 10, 0, 0), other = key4(198, 51, 100, 10, 81, 6);
	const struct dl_lb_service *s;
	struct dl_lb_choice ch;
	uint64_t prng = 1;
	int seen[4] = {0};

	setup(&lb, DL_LB_ALG_RANDOM);
	CHECK(dl_lb_add_service(&lb, &k, &svc, ids, NULL) == 0);
	CHECK(dl_lb_add_service(&lb, &w, &wild, NULL, NULL) == 0);
	CHECK((s = dl_lb_lookup_service(&lb, &k)) && s->rev_nat_index == 7);
	CHECK((s = dl_lb_lookup_service(&lb, &other)) && s->rev_nat_index == 8 && s->count == 0);
	uint8_t client[4] = {203, 0, 113, 7};
	struct dl_lb_flow f = {.saddr = client, .family = 4, .client_port = 40000, .service_port = 80, .proto = 6};
	CHECK(dl_lb_select_backend(&lb, s, &f, &prng, &ch) == DROP_NO_SERVICE);
	s = dl_lb_lookup_service(&lb, &k);
	for (int i = 0; i < 300; i++) {
		if (dl_lb_select_backend(&lb, s, &f, &prng, &ch) || ch.backend_id < 1 || ch.backend_id > 3) { CHECK(0); break; }
		seen[ch.backend_id]++;
	}
	CHECK(seen[1] > 50 && seen[2] > 50 && seen[3] > 50);
	const struct dl_lb_revnat *rn = dl_lb_lookup_revnat(&lb, 7);
	CHECK(rn && rn->port == 80 && rn->addr[3] == 10);
	uint32_t bad[1] = {99};
	struct dl_lb_key k2 = key4(1, 2, 3, 4, 80, 6);
	CHECK(dl_lb_add_service(&lb, &k2, &svc, bad, NULL) == DL_EINVAL);
	/* same seed, same choices */
	uint64_t p1 = 42, p2 = 42;
	struct dl_lb_choice c1, c2;
	for (int i = 0; i < 20; i++) {
		dl_lb_select_backend(&lb, s, &f, &p1, &c1);
		dl_lb_select_backend(&lb, s, &f, &p2, &c2);
		if (c1.backend_id != c2.backend_id) { CHECK(0); break; }
	}
	dl_lb_free(&lb);
}

static void test_maglev_and_affinity(void)
{
	struct dl_lb lb;
	uint32_t ids[3] = {1, 2, 3}, lut[251];
	struct dl_lb_service svc = {.rev_nat_index = 9, .count = 3, .flags = DL_SVC_FLAG_ROUTABLE | DL_SVC_FLAG_AFFINITY,
				    .algorithm = DL_LB_ALG_MAGLEV, .affinity_timeout = 100};
	struct dl_lb_key k = key4(198, 51, 100, 10, 80, 6);
	struct dl_lb_choice ch;
	uint64_t prng = 1;

	setup(&lb, DL_LB_ALG_MAGLEV);
	for (uint32_t i = 0; i < 251; i++)
		lut[i] = 1 + i % 3;
	CHECK(dl_lb_add_service(&lb, &k, &svc, ids, NULL) == DL_EINVAL); /* Maglev needs a LUT */
	CHECK(dl_lb_add_service(&lb, &k, &svc, ids, lut) == 0);
	const struct dl_lb_service *s = dl_lb_lookup_service(&lb, &k);
	uint8_t client[4] = {203, 0, 113, 7};
	struct dl_lb_flow f = {.saddr = client, .family = 4, .client_port = 40000, .service_port = 80, .proto = 6};
	CHECK(dl_lb_select_backend(&lb, s, &f, &prng, &ch) == 0);
	CHECK(ch.slot == ch.hash % 251 && ch.backend_id == lut[ch.slot]);
	/* affinity zeroes the client port: any client port gives the same hash */
	struct dl_lb_choice ch2;
	f.client_port = 12345;
	CHECK(dl_lb_select_backend(&lb, s, &f, &prng, &ch2) == 0 && ch2.hash == ch.hash);
	CHECK(dl_lb_affinity_backend(&lb, s, &f, 10) == 0);
	dl_lb_affinity_update(&lb, s, &f, 2, 10);
	CHECK(dl_lb_affinity_backend(&lb, s, &f, 50) == 2);
	CHECK(dl_lb_affinity_backend(&lb, s, &f, 149) == 2); /* refreshed at 50 */
	CHECK(dl_lb_affinity_backend(&lb, s, &f, 249) == 0); /* expired: 149 + 100 <= 249 */
	dl_lb_free(&lb);
}

/* A dl_lb_add_service that fails leaves the tables as they were: re-installing a frontend under
 * a new rev-NAT index when the rev-NAT map is full must not unhook the frontend it replaces
 * (which then read as "no service", and later as whatever service is installed next). */
static void test_add_service_failure_changes_nothing(void)
{
	struct dl_lb lb;
	struct dl_lb_config cfg = {.max_services = 2, .maglev_m = 251, .default_algorithm = DL_LB_ALG_RANDOM};
	struct dl_lb_backend be;
	uint32_t ids[1] = {1};
	struct dl_lb_service a = {.rev_nat_index = 1, .count = 1}, b = {.rev_nat_index = 2, .count = 1};
	struct dl_lb_service a2 = {.rev_nat_index = 3, .count = 1};
	struct dl_lb_key ka = key4(198, 51, 100, 10, 80, 6), kb = key4(198, 51, 100, 11, 80, 6);
	const struct dl_lb_service *s;

	CHECK(dl_lb_init(&lb, &cfg) == 0);
	memset(&be, 0, sizeof(be));
	be.family = 4;
	be.addr[0] = 10;
	be.port = 8080;
	be.proto = 6;
	CHECK(dl_lb_add_backend(&lb, 1, &be) == 0);
	CHECK(dl_lb_add_service(&lb, &ka, &a, ids, NULL) == 0);
	CHECK(dl_lb_add_service(&lb, &kb, &b, ids, NULL) == 0);
	CHECK(dl_lb_add_service(&lb, &ka, &a2, ids, NULL) == DL_E2BIG); /* rev-NAT map full */
	CHECK((s = dl_lb_lookup_service(&lb, &ka)) && s->rev_nat_index == 1);
	CHECK(dl_lb_add_service(&lb, &kb, &b, ids, NULL) == 0); /* re-install: takes the next index */
	CHECK((s = dl_lb_lookup_service(&lb, &ka)) && s->rev_nat_index == 1);
	CHECK((s = dl_lb_lookup_service(&lb, &kb)) && s->rev_nat_index == 2);
	dl_lb_free(&lb);
}

int main(void)
{
	test_lookup_and_random();
	test_maglev_and_affinity();
	test_add_service_failure_changes_nothing();
	printf("test_lb: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
