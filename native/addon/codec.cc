// codec.cc: batch calls into the packet codec and checksum code, and CapInfo.
//   parsePackets(buf, index, count) -> [{ok, error?, errorOffset?, l3, src, dst, ...}]  (tests, explain)
//   checkChecksums(buf, index, count) -> Uint8Array of DL_CSUM_* bitmasks
//   fixChecksums(buf, index, count)   -> recomputes every checksum in place
//   new CapInfo(); info.add(buf, index, count); info.result() -> {packets, bytes, ...}
#include "batch.h"
#include <string>

extern "C" {
#include "dsrlab/capinfo.h"
#include "dsrlab/codec.h"
#include "dsrlab/csum.h"
}

namespace dsrlab {

static std::string AddrText(const uint8_t *a, bool v6) {
  char s[64];
  if (!v6) {
    snprintf(s, sizeof(s), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return s;
  }
  // Plain (uncompressed) IPv6 text; TypeScript canonicalises if it needs to.
  std::string out;
  for (int i = 0; i < 8; i++) {
    char w[8];
    snprintf(w, sizeof(w), i ? ":%x" : "%x", (a[2 * i] << 8) | a[2 * i + 1]);
    out += w;
  }
  return out;
}

static Napi::Object InfoToObject(Napi::Env env, int rc, const struct dl_pkt_info &p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", rc == DL_PARSE_OK);
  if (rc != DL_PARSE_OK) {
    o.Set("error", std::string(p.err));
    o.Set("errorKind", dl_parse_strerror(rc));
    o.Set("errorOffset", (double)p.err_off);
  }
  static const char *l3names[] = {"none", "ipv4", "ipv6", "arp", "other"};
  o.Set("l2Len", (double)p.l2_len);
  o.Set("ethertype", (double)p.ethertype);
  Napi::Array vl = Napi::Array::New(env, p.vlan_count);
  for (uint32_t i = 0; i < p.vlan_count && i < DL_PKT_MAX_VLANS; i++) vl.Set(i, (double)p.vlan_ids[i]);
  o.Set("vlans", vl);
  o.Set("l3", l3names[p.l3 <= (unsigned)DL_L3_OTHER ? p.l3 : (unsigned)DL_L3_OTHER]);
  o.Set("truncated", p.truncated);
  if (p.l3 == DL_L3_IPV4 || p.l3 == DL_L3_IPV6) {
    bool v6 = p.l3 == DL_L3_IPV6;
    o.Set("l3Off", (double)p.l3_off);
    o.Set("l3HdrLen", (double)p.l3_hdr_len);
    o.Set("l3Len", (double)p.l3_len);
    o.Set("ttl", (double)p.ttl);
    o.Set("tos", (double)p.tos);
    o.Set("src", AddrText(p.src, v6));
    o.Set("dst", AddrText(p.dst, v6));
    if (!v6) {
      o.Set("ipId", (double)p.ip_id);
      o.Set("df", p.df);
      o.Set("ipv4OptOff", (double)p.ipv4_opt_off);
      o.Set("ipv4OptLen", (double)p.ipv4_opt_len);
    } else {
      o.Set("flowLabel", (double)p.flow_label);
      Napi::Array ext = Napi::Array::New(env, p.ext_count);
      for (uint32_t i = 0; i < p.ext_count && i < DL_PKT_MAX_EXTHDRS; i++) {
        Napi::Object e = Napi::Object::New(env);
        e.Set("type", (double)p.ext[i].type);
        e.Set("off", (double)p.ext[i].off);
        e.Set("len", (double)p.ext[i].len);
        ext.Set(i, e);
      }
      o.Set("ext", ext);
    }
    static const char *fragnames[] = {"none", "first", "later"};
    o.Set("frag", fragnames[p.frag <= (unsigned)DL_FRAG_LATER ? p.frag : 0u]);
    if (p.frag != DL_FRAG_NONE) {
      o.Set("fragOff", (double)p.frag_off);
      o.Set("fragId", (double)p.frag_id);
      o.Set("fragMore", p.frag_mf);
    }
    o.Set("l4Proto", (double)p.l4_proto);
    o.Set("l4Off", (double)p.l4_off);
    o.Set("l4HdrLen", (double)p.l4_hdr_len);
    o.Set("l4Len", (double)p.l4_len);
    if (p.l4_proto == DL_IPPROTO_TCP || p.l4_proto == DL_IPPROTO_UDP || p.l4_proto == DL_IPPROTO_SCTP) {
      o.Set("sport", (double)p.sport);
      o.Set("dport", (double)p.dport);
    }
    if (p.l4_proto == DL_IPPROTO_TCP && p.l4_hdr_len) {
      o.Set("tcpFlags", (double)p.tcp_flags);
      o.Set("tcpSeq", (double)p.tcp_seq);
      o.Set("tcpAck", (double)p.tcp_ack);
      o.Set("tcpWin", (double)p.tcp_win);
      o.Set("tcpOptLen", (double)p.tcp_opt_len);
      if (p.tcp_opts & DL_TCPOPT_F_MSS) o.Set("mss", (double)p.tcp_mss);
      if (p.tcp_opts & DL_TCPOPT_F_WSCALE) o.Set("wscale", (double)p.tcp_wscale);
      if (p.tcp_opts & DL_TCPOPT_F_SACKOK) o.Set("sackOk", true);
      if (p.tcp_opts & DL_TCPOPT_F_TS) {
        o.Set("tsVal", (double)p.tcp_ts_val);
        o.Set("tsEcr", (double)p.tcp_ts_ecr);
      }
    }
    if ((p.l4_proto == DL_IPPROTO_ICMP || p.l4_proto == DL_IPPROTO_ICMPV6) && p.l4_hdr_len) {
      o.Set("icmpType", (double)p.icmp_type);
      o.Set("icmpCode", (double)p.icmp_code);
      o.Set("icmpId", (double)p.icmp_id);
      o.Set("icmpSeq", (double)p.icmp_seq);
      o.Set("icmpMtu", (double)p.icmp_mtu);
      o.Set("icmpInnerOff", (double)p.icmp_inner_off);
    }
    o.Set("payloadOff", (double)p.payload_off);
    o.Set("payloadLen", (double)p.payload_len);
  } else if (p.l3 == DL_L3_ARP) {
    o.Set("arpOp", (double)p.arp_op);
    if (p.arp_ipv4) {
      o.Set("arpSpa", AddrText(p.arp_spa, false));
      o.Set("arpTpa", AddrText(p.arp_tpa, false));
    }
  }
  return o;
}

static Napi::Value ParsePackets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  double *idx = nullptr;
  size_t count = 0;
  if (!GetBatch(info, &buf, &idx, &count)) return env.Null();
  Napi::Array out = Napi::Array::New(env, count);
  struct dl_pkt_info pi;
  for (size_t i = 0; i < count; i++) {
    struct dl_cap_record r;
    if (!RecordAt(env, idx, i, buf.Length(), &r)) return env.Null();
    int rc = dl_pkt_parse(buf.Data() + r.buf_off, r.caplen, r.linktype, &pi);
    out.Set(i, InfoToObject(env, rc, pi));
  }
  return out;
}

static Napi::Value CheckChecksums(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  double *idx = nullptr;
  size_t count = 0;
  if (!GetBatch(info, &buf, &idx, &count)) return env.Null();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, count);
  struct dl_pkt_info pi;
  for (size_t i = 0; i < count; i++) {
    struct dl_cap_record r;
    if (!RecordAt(env, idx, i, buf.Length(), &r)) return env.Null();
    const uint8_t *d = buf.Data() + r.buf_off;
    if (dl_pkt_parse(d, r.caplen, r.linktype, &pi) != DL_PARSE_OK) {
      out[i] = 0x80;  // not parsed: nothing verifiable
      continue;
    }
    out[i] = (uint8_t)dl_pkt_verify_csums(d, r.caplen, &pi);
  }
  return out;
}

static Napi::Value FixChecksums(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  double *idx = nullptr;
  size_t count = 0;
  if (!GetBatch(info, &buf, &idx, &count)) return env.Null();
  struct dl_pkt_info pi;
  for (size_t i = 0; i < count; i++) {
    struct dl_cap_record r;
    if (!RecordAt(env, idx, i, buf.Length(), &r)) return env.Null();
    uint8_t *d = buf.Data() + r.buf_off;
    if (dl_pkt_parse(d, r.caplen, r.linktype, &pi) == DL_PARSE_OK) dl_pkt_fix_csums(d, r.caplen, &pi);
  }
  return env.Undefined();
}

class CapInfo : public Napi::ObjectWrap<CapInfo> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CapInfo", {InstanceMethod("add", &CapInfo::Add), InstanceMethod("result", &CapInfo::Result)});
  }
  explicit CapInfo(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CapInfo>(info) { dl_capinfo_init(&s_); }

 private:
  Napi::Value Add(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Buffer<uint8_t> buf;
    double *idx = nullptr;
    size_t count = 0;
    if (!GetBatch(info, &buf, &idx, &count)) return env.Null();
    // Convert in slices so the record array stays small whatever the batch size.
    struct dl_cap_record recs[512];
    for (size_t i = 0; i < count;) {
      size_t k = 0;
      for (; k < 512 && i < count; k++, i++)
        if (!RecordAt(env, idx, i, buf.Length(), &recs[k])) return env.Null();
      dl_capinfo_add(&s_, buf.Data(), recs, k);
    }
    return env.Undefined();
  }

  Napi::Value Result(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
#define F(name, field) o.Set(name, (double)s_.field)
    F("packets", packets); F("bytes", bytes); F("wireBytes", wire_bytes);
    F("firstSec", first_sec); F("firstNsec", first_nsec); F("lastSec", last_sec); F("lastNsec", last_nsec);
    F("ipv4", ipv4); F("ipv6", ipv6); F("arp", arp); F("otherL3", other_l3);
    F("tcp", tcp); F("udp", udp); F("icmp", icmp); F("icmpv6", icmpv6); F("otherL4", other_l4);
    F("fragFirst", frag_first); F("fragLater", frag_later);
    F("vlan", vlan); F("truncated", truncated); F("malformed", malformed);
#undef F
    Napi::Array ex = Napi::Array::New(env, s_.n_examples);
    for (uint32_t i = 0; i < s_.n_examples; i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("packet", (double)s_.examples[i].packet);
      e.Set("reason", std::string(s_.examples[i].reason));
      ex.Set(i, e);
    }
    o.Set("malformedExamples", ex);
    Napi::Array lt = Napi::Array::New(env, s_.n_linktypes);
    for (uint32_t i = 0; i < s_.n_linktypes; i++) lt.Set(i, (double)s_.linktypes[i]);
    o.Set("linktypes", lt);
    return o;
  }

  struct dl_capinfo s_;
};


// csumUpdateField(frame, off, bytes) -> Buffer: a copy of frame with bytes written at off (an
// even offset, 2 or 4 bytes) and every checksum that covers them updated incrementally
// (RFC 1624), never recomputed. The property tests compare it with a full recomputation.
static Napi::Value CsumUpdateField(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> in, val;
  double off;
  if (!GetBuffer(info, 0, "frame", &in) || !GetUint(info, 1, "off", (double)in.Length(), &off) || !GetBuffer(info, 2, "bytes", &val))
    return env.Null();
  size_t o = (size_t)off, w = val.Length();
  if ((w != 2 && w != 4) || (o & 1) || !dl_in_bounds(in.Length(), o, w)) {
    ThrowType(env, "argument 'bytes' must be 2 or 4 bytes at an even offset inside the frame");
    return env.Null();
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, in.Data(), in.Length());
  uint8_t *d = out.Data();
  struct dl_pkt_info pi;
  if (dl_pkt_parse(d, out.Length(), DL_LINKTYPE_ETHERNET, &pi) != DL_PARSE_OK || !dl_pkt_is_ip(&pi)) {
    ThrowType(env, "argument 'frame' must be a parseable IP packet");
    return env.Null();
  }
  dl_wsum diff = dl_csum_diff(d + o, w, val.Data(), w, 0);
  bool v4 = pi.l3 == DL_L3_IPV4;
  size_t ip_csum = pi.l3_off + 10;
  // The IPv4 header checksum covers its header (but not itself).
  if (v4 && o >= pi.l3_off && o < pi.l3_off + pi.l3_hdr_len && !(o <= ip_csum && ip_csum < o + w))
    dl_wr16(d + ip_csum, dl_csum_replace_diff(dl_rd16(d + ip_csum), diff));
  // The L4 checksum covers the L4 bytes and, except ICMPv4, the addresses (pseudo-header).
  size_t addr_off = pi.l3_off + (v4 ? 12 : 8), addr_len = v4 ? 8 : 32;
  bool in_addr = o >= addr_off && o + w <= addr_off + addr_len;
  size_t csum_at = 0;
  switch (pi.l4_proto) {
  case DL_IPPROTO_TCP: csum_at = pi.l4_off + 16; break;
  case DL_IPPROTO_UDP: csum_at = pi.l4_off + 6; break;
  case DL_IPPROTO_ICMP: csum_at = pi.l4_off + 2; in_addr = false; break;
  case DL_IPPROTO_ICMPV6: csum_at = pi.l4_off + 2; break;
  }
  bool in_l4 = pi.l4_off && o >= pi.l4_off && o + w <= pi.l4_off + pi.l4_len && !(o <= csum_at && csum_at < o + w);
  if (csum_at && pi.l4_hdr_len && (in_addr || in_l4)) {
    uint16_t c = dl_rd16(d + csum_at);
    if (pi.l4_proto == DL_IPPROTO_UDP)
      c = dl_udp_csum_replace(c, diff);
    else
      c = dl_csum_replace_diff(c, diff);
    dl_wr16(d + csum_at, c);
  }
  memcpy(d + o, val.Data(), w);
  return out;
}

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("csumUpdateField", Napi::Function::New(env, CsumUpdateField, "csumUpdateField"));
  exports.Set("parsePackets", Napi::Function::New(env, ParsePackets, "parsePackets"));
  exports.Set("checkChecksums", Napi::Function::New(env, CheckChecksums, "checkChecksums"));
  exports.Set("fixChecksums", Napi::Function::New(env, FixChecksums, "fixChecksums"));
  exports.Set("CapInfo", CapInfo::Define(env));
}

}  // namespace dsrlab
