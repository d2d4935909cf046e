/* capinfo.c: tallies a capture's packets for `dsrlab pcap info`. Parsing is codec.c's job;
 * reading the file is capture.c's. */
#include "dsrlab/capinfo.h"
#include "dsrlab/codec.h"

void dl_capinfo_init(struct dl_capinfo *s)
{
	memset(s, 0, sizeof(*s));
}

static bool ts_before(int64_t sa, uint32_t na, int64_t sb, uint32_t nb)
{
	return sa < sb || (sa == sb && na < nb);
}

static void note_linktype(struct dl_capinfo *s, uint16_t lt)
{
	for (uint32_t i = 0; i < s->n_linktypes; i++)
		if (s->linktypes[i] == lt)
			return;
	if (s->n_linktypes < DL_CAPINFO_LINKTYPES)
		s->linktypes[s->n_linktypes++] = lt;
}

static void count_l4(struct dl_capinfo *s, const struct dl_pkt_info *pi)
{
	switch (pi->l4_proto) {
	case DL_IPPROTO_TCP: s->tcp++; break;
	case DL_IPPROTO_UDP: s->udp++; break;
	case DL_IPPROTO_ICMP: s->icmp++; break;
	case DL_IPPROTO_ICMPV6: s->icmpv6++; break;
	default: s->other_l4++; break;
	}
}

void dl_capinfo_add(struct dl_capinfo *s, const uint8_t *buf, const struct dl_cap_record *recs, size_t n)
{
	struct dl_pkt_info pi;

	for (size_t i = 0; i < n; i++) {
		const struct dl_cap_record *r = &recs[i];
		int rc;

		s->packets++;
		s->bytes += r->caplen;
		s->wire_bytes += r->origlen;
		/* Captures are not always in time order (merged files): keep the true span. */
		if (s->packets == 1 || ts_before(r->ts_sec, r->ts_nsec, s->first_sec, s->first_nsec)) {
			s->first_sec = r->ts_sec;
			s->first_nsec = r->ts_nsec;
		}
		if (s->packets == 1 || ts_before(s->last_sec, s->last_nsec, r->ts_sec, r->ts_nsec)) {
			s->last_sec = r->ts_sec;
			s->last_nsec = r->ts_nsec;
		}

		note_linktype(s, r->linktype);
		rc = dl_pkt_parse(buf + r->buf_off, r->caplen, r->linktype, &pi);
		if (pi.vlan_count)
			s->vlan++;
		switch (pi.l3) {
		case DL_L3_IPV4: s->ipv4++; break;
		case DL_L3_IPV6: s->ipv6++; break;
		case DL_L3_ARP: s->arp++; break;
		default: s->other_l3++; break;
		}
		if (rc != DL_PARSE_OK) {
			s->malformed++;
			if (s->n_examples < DL_CAPINFO_EXAMPLES) {
				struct dl_capinfo_example *e = &s->examples[s->n_examples++];
				e->packet = s->packets;
				memcpy(e->reason, pi.err, sizeof(e->reason) < sizeof(pi.err) ? sizeof(e->reason) : sizeof(pi.err));
				e->reason[sizeof(e->reason) - 1] = '\0';
			}
			continue;
		}
		if (pi.truncated)
			s->truncated++;
		if (pi.frag == DL_FRAG_FIRST)
			s->frag_first++;
		else if (pi.frag == DL_FRAG_LATER)
			s->frag_later++;
		if (dl_pkt_is_ip(&pi))
			count_l4(s, &pi);
	}
}
