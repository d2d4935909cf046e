// cluster.cc: Cluster, the JS face of the emulated cluster (native/src/cluster.c). Setup calls
// (hosts, routes, backends, services) take plain objects; run() takes a whole batch of packets
// (one Buffer + index) and returns the event log as raw bytes (64 per event, layout pinned in
// cluster.h and read by src/datapath/events.ts) plus the arena of frames they point into.
#include "batch.h"
#include <vector>
#include <string>

extern "C" {
#include "dsrlab/cluster.h"
}

namespace dsrlab {

// Marks Cluster objects, so that ClusterOf (batch.h) can tell one from any other object.
static const napi_type_tag kClusterTag = {0x6473726c61622d63ULL, 0x6c75737465720001ULL};

static uint32_t U32(Napi::Object o, const char *k, uint32_t def = 0) {
  Napi::Value v = o.Get(k);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : def;
}
static bool Bool(Napi::Object o, const char *k) {
  Napi::Value v = o.Get(k);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}
static Napi::Object Obj(Napi::Object o, const char *k) {
  Napi::Value v = o.Get(k);
  return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(o.Env());
}
// Copies a Buffer of exactly n bytes; false (after throwing) otherwise.
static bool Bytes(Napi::Env env, Napi::Value v, const char *name, uint8_t *out, size_t n, bool optional = false) {
  if (optional && (v.IsUndefined() || v.IsNull())) return false;
  if (!v.IsBuffer() || v.As<Napi::Buffer<uint8_t>>().Length() != n) {
    ThrowType(env, std::string(name) + " must be a Buffer of " + std::to_string(n) + " bytes");
    return false;
  }
  memcpy(out, v.As<Napi::Buffer<uint8_t>>().Data(), n);
  return true;
}

class Cluster : public Napi::ObjectWrap<Cluster> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Cluster",
                       {InstanceMethod("addHost", &Cluster::AddHost), InstanceMethod("addFrontendRoute", &Cluster::AddRoute),
                        InstanceMethod("addBackend", &Cluster::AddBackend), InstanceMethod("addService", &Cluster::AddService),
                        InstanceMethod("setDefaultHost", &Cluster::SetDefaultHost), InstanceMethod("run", &Cluster::Run),
                        InstanceMethod("mapStats", &Cluster::MapStats), InstanceMethod("close", &Cluster::Close)});
  }

  explicit Cluster(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Cluster>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      ThrowType(env, "new Cluster(config): config must be an object");
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    struct dl_cluster_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = (enum dl_lb_mode)U32(o, "mode");
    cfg.dispatch = (enum dl_dsr_dispatch)U32(o, "dispatch");
    cfg.accel = (enum dl_accel)U32(o, "accel");
    cfg.reject_no_backend = Bool(o, "rejectNoBackend");
    cfg.pmtu_discovery = Bool(o, "pmtuDiscovery");
    cfg.external_cluster_ip = Bool(o, "externalClusterIP");
    cfg.nat_port_min = (uint16_t)U32(o, "natPortMin", 32768);
    cfg.nat_port_max = (uint16_t)U32(o, "natPortMax", 65535);
    Napi::Object pr = Obj(o, "profile");
    cfg.profile.era = (enum dl_dsr_era)U32(pr, "era");
    cfg.profile.opt_order = (enum dl_dsr_opt_order)U32(pr, "optOrder");
    cfg.profile.per_service_fwd_mode = Bool(pr, "perServiceFwdMode");
    cfg.profile.snat_clamp_closed = Bool(pr, "snatClampClosed");
    cfg.profile.snat_retries = U32(pr, "snatRetries", 128);
    cfg.profile.maglev_hash = (enum dl_maglev_hash_version)U32(pr, "maglevHash");
    cfg.profile.icmp_to_vip_drop = Bool(pr, "icmpToVipDrop");
    cfg.profile.ipv6_frag_tracking = Bool(pr, "ipv6FragTracking");
    Napi::Object ct = Obj(o, "ct");
    dl_ct_config_init(&cfg.ct, U32(ct, "tcp", 21600));
    cfg.ct.syn = U32(ct, "syn", cfg.ct.syn);
    cfg.ct.close = U32(ct, "close", cfg.ct.close);
    cfg.ct.any = U32(ct, "any", cfg.ct.any);
    cfg.ct.service_tcp = U32(ct, "serviceTcp", cfg.ct.service_tcp);
    cfg.ct.service_any = U32(ct, "serviceAny", cfg.ct.service_any);
    cfg.ct.rebalance = U32(ct, "rebalance", cfg.ct.rebalance);
    Napi::Object lb = Obj(o, "lb");
    cfg.lb.max_services = U32(lb, "maxServices", 65536);
    cfg.lb.maglev_m = U32(lb, "maglevM", 16381);
    cfg.lb.seed_jhash0 = U32(lb, "seedJhash0");
    cfg.lb.seed_jhash1 = U32(lb, "seedJhash1");
    cfg.lb.hash_version = cfg.profile.maglev_hash;
    cfg.lb.default_algorithm = (uint8_t)U32(lb, "defaultAlgorithm", DL_LB_ALG_RANDOM);
    cfg.ct_tcp_max = U32(o, "ctTcpMax", 524288);
    cfg.ct_any_max = U32(o, "ctAnyMax", 262144);
    cfg.nat_max = U32(o, "natMax", 524288);
    cfg.frag_max = U32(o, "fragMax", 8192);
    cfg.seed = U32(o, "seed", 1);
    cfg.responder = (enum dl_responder)U32(o, "responder");
    cfg.faults = U32(o, "faults");  // DL_FAULT_*: tests only
    char err[200];
    c_ = dl_cluster_new(&cfg, err, sizeof(err));
    if (!c_) Napi::Error::New(env, err).ThrowAsJavaScriptException();
    else info.This().As<Napi::Object>().TypeTag(&kClusterTag);
  }
  ~Cluster() override { dl_cluster_free(c_); }

 private:
  // close(): frees the emulated cluster now instead of when the garbage collector finalizes this
  // object. Node-API finalizers wait for the event loop, so a synchronous loop that builds many
  // clusters (a property test) would otherwise hold every one of them. Later calls throw; do not
  // close a cluster a ReplaySink still runs.
  Napi::Value Close(const Napi::CallbackInfo &info) {
    dl_cluster_free(c_);
    c_ = nullptr;
    return info.Env().Undefined();
  }
  // False (after throwing) when close() was called.
  bool Open(Napi::Env env) {
    if (!c_) Napi::Error::New(env, "Cluster: closed (close() was called)").ThrowAsJavaScriptException();
    return c_ != nullptr;
  }

  Napi::Value AddHost(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "addHost(host: object)"), env.Null();
    Napi::Object o = info[0].As<Napi::Object>();
    struct dl_host_config h;
    memset(&h, 0, sizeof(h));
    h.kind = (enum dl_host_kind)U32(o, "kind");
    std::string name = o.Get("name").ToString().Utf8Value();
    snprintf(h.name, sizeof(h.name), "%s", name.c_str());
    if (!Bytes(env, o.Get("mac"), "host.mac", h.mac, 6)) return env.Null();
    if (Bytes(env, o.Get("v4"), "host.v4", h.v4, 4, true)) h.has_v4 = true;
    if (env.IsExceptionPending()) return env.Null();
    if (Bytes(env, o.Get("v6"), "host.v6", h.v6, 16, true)) h.has_v6 = true;
    if (env.IsExceptionPending()) return env.Null();
    h.mtu = (uint16_t)U32(o, "mtu", 1500);
    h.node = U32(o, "node", UINT32_MAX);
    int id = dl_cluster_add_host(c_, &h);
    if (id < 0) {
      Napi::Error::New(env, id == -2 ? "host " + name + ": an address is already taken by another host" : "host " + name + ": cannot be added").ThrowAsJavaScriptException();
      return env.Null();
    }
    return Napi::Number::New(env, id);
  }

  Napi::Value AddRoute(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    Napi::Object o = info[0].As<Napi::Object>();
    struct dl_frontend_route r;
    memset(&r, 0, sizeof(r));
    r.family = (uint8_t)U32(o, "family", 4);
    if (!Bytes(env, o.Get("addr"), "route.addr", r.addr, r.family == 6 ? 16 : 4)) return env.Null();
    Napi::Value n = o.Get("node");
    r.node = n.IsNumber() && n.As<Napi::Number>().Int64Value() >= 0 ? n.As<Napi::Number>().Uint32Value() : UINT32_MAX;
    if (dl_cluster_add_frontend_route(c_, &r)) {
      Napi::Error::New(env, "route: node is not a node").ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Undefined();
  }

  Napi::Value SetDefaultHost(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    if (dl_cluster_set_default_host(c_, info[0].ToNumber().Uint32Value())) {
      Napi::Error::New(env, "setDefaultHost: not a client").ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Undefined();
  }

  Napi::Value AddBackend(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    uint32_t node = info[0].ToNumber().Uint32Value(), id = info[1].ToNumber().Uint32Value();
    Napi::Object o = info[2].As<Napi::Object>();
    struct dl_lb_backend be;
    memset(&be, 0, sizeof(be));
    be.family = (uint8_t)U32(o, "family", 4);
    if (!Bytes(env, o.Get("addr"), "backend.addr", be.addr, be.family == 6 ? 16 : 4)) return env.Null();
    be.port = (uint16_t)U32(o, "port");
    be.proto = (uint8_t)U32(o, "proto", 6);
    be.flags = (uint8_t)U32(o, "flags");
    be.cluster_id = (uint8_t)U32(o, "clusterId");
    be.zone = (uint16_t)U32(o, "zone");
    be.host = U32(o, "host", UINT32_MAX);
    if (dl_cluster_add_backend(c_, node, id, &be)) {
      Napi::Error::New(env, "addBackend: cannot add backend " + std::to_string(id)).ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Undefined();
  }

  Napi::Value AddService(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    if (info.Length() < 4 || !info[1].IsObject() || !info[2].IsObject() || !info[3].IsTypedArray())
      return ThrowType(env, "addService(node, key, service, slots: Uint32Array, lut?: Uint32Array)"), env.Null();
    uint32_t node = info[0].ToNumber().Uint32Value();
    Napi::Object ko = info[1].As<Napi::Object>(), so = info[2].As<Napi::Object>();
    struct dl_lb_key k;
    memset(&k, 0, sizeof(k));
    k.family = (uint8_t)U32(ko, "family", 4);
    if (!Bytes(env, ko.Get("addr"), "key.addr", k.addr, k.family == 6 ? 16 : 4)) return env.Null();
    k.port = (uint16_t)U32(ko, "port");
    k.proto = (uint8_t)U32(ko, "proto");
    k.scope = (uint8_t)U32(ko, "scope");
    struct dl_lb_service s;
    memset(&s, 0, sizeof(s));
    Napi::Uint32Array slots = info[3].As<Napi::Uint32Array>();
    s.rev_nat_index = U32(so, "revNatIndex");
    s.count = (uint16_t)slots.ElementLength();
    s.flags = (uint16_t)U32(so, "flags");
    s.flags2 = (uint16_t)U32(so, "flags2");
    s.algorithm = (uint8_t)U32(so, "algorithm");
    s.affinity_timeout = U32(so, "affinityTimeout");
    const uint32_t *lut = nullptr;
    if (info.Length() > 4 && info[4].IsTypedArray()) lut = info[4].As<Napi::Uint32Array>().Data();
    int rc = dl_cluster_add_service(c_, node, &k, &s, slots.Data(), lut);
    if (rc) {
      Napi::Error::New(env, "addService: rejected (" + std::to_string(rc) + "): unknown backend, missing Maglev table, or map full").ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Undefined();
  }

  // run(buf, index, count, hosts: Uint32Array, server: Uint8Array, ids: Uint32Array, maxEvents, arenaBytes)
  Napi::Value Run(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    Napi::Buffer<uint8_t> buf;
    double *idx = nullptr;
    size_t count = 0;
    if (!GetBatch(info, &buf, &idx, &count)) return env.Null();
    if (info.Length() < 8 || !info[3].IsTypedArray() || !info[4].IsTypedArray() || !info[5].IsTypedArray())
      return ThrowType(env, "run(buf, index, count, hosts, server, ids, maxEvents, arenaBytes)"), env.Null();
    Napi::Uint32Array hosts = info[3].As<Napi::Uint32Array>(), ids = info[5].As<Napi::Uint32Array>();
    Napi::Uint8Array server = info[4].As<Napi::Uint8Array>();
    if (hosts.ElementLength() < count || server.ElementLength() < count || ids.ElementLength() < count)
      return ThrowType(env, "hosts, server and ids must have count entries"), env.Null();
    double maxEv, arenaBytes;
    if (!GetUint(info, 6, "maxEvents", 1e8, &maxEv) || !GetUint(info, 7, "arenaBytes", 4e9, &arenaBytes)) return env.Null();
    std::vector<struct dl_in_packet> in(count);
    for (size_t i = 0; i < count; i++) {
      struct dl_cap_record r;
      if (!RecordAt(env, idx, i, buf.Length(), &r)) return env.Null();
      in[i].data = buf.Data() + r.buf_off;
      in[i].len = r.caplen;
      in[i].host = hosts[i];
      in[i].ts_sec = r.ts_sec;
      in[i].ts_nsec = r.ts_nsec;
      in[i].id = ids[i];
      in[i].server = server[i] != 0;
      in[i].linktype = r.linktype;
    }
    Napi::Buffer<uint8_t> evbuf = Napi::Buffer<uint8_t>::New(env, (size_t)maxEv * sizeof(struct dl_event));
    Napi::Buffer<uint8_t> arena = Napi::Buffer<uint8_t>::New(env, (size_t)arenaBytes);
    struct dl_out out;
    memset(&out, 0, sizeof(out));
    out.events = reinterpret_cast<struct dl_event *>(evbuf.Data());
    out.max_events = (uint32_t)maxEv;
    out.arena = arena.Data();
    out.arena_size = (uint32_t)arenaBytes;
    uint32_t done = dl_cluster_run(c_, in.data(), (uint32_t)count, &out);
    Napi::Object res = Napi::Object::New(env);
    res.Set("processed", (double)done);
    res.Set("full", out.full);
    res.Set("events", Napi::Buffer<uint8_t>::Copy(env, evbuf.Data(), (size_t)out.n_events * sizeof(struct dl_event)));
    res.Set("arena", Napi::Buffer<uint8_t>::Copy(env, arena.Data(), out.arena_used));
    return res;
  }

  // mapStats(node): {maps: {<cilium map name>: {maxEntries, entries, evictions, full}},
  // snatNoMapping, ctCreateFailed} for a node (cluster_stats.c); null for a host that is no node.
  Napi::Value MapStats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Null();
    if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "mapStats(node: number)"), env.Null();
    struct dl_node_map_stats st;
    if (dl_cluster_map_stats(c_, info[0].As<Napi::Number>().Uint32Value(), &st) != 0) return env.Null();
    static const char *const kNames[DL_NODE_MAPS] = {"cilium_ct4_global",       "cilium_ct_any4_global",   "cilium_ct6_global",
                                                     "cilium_ct_any6_global",   "cilium_snat_v4_external", "cilium_snat_v6_external",
                                                     "cilium_ipv4_frag_datagrams", "cilium_ipv6_frag_datagrams"};
    Napi::Object maps = Napi::Object::New(env);
    for (int i = 0; i < DL_NODE_MAPS; i++) {
      Napi::Object m = Napi::Object::New(env);
      m.Set("maxEntries", Napi::Number::New(env, st.maps[i].max_entries));
      m.Set("entries", Napi::Number::New(env, st.maps[i].entries));
      m.Set("evictions", Napi::Number::New(env, (double)st.maps[i].evictions));
      m.Set("full", Napi::Number::New(env, (double)st.maps[i].full));
      maps.Set(kNames[i], m);
    }
    Napi::Object res = Napi::Object::New(env);
    res.Set("maps", maps);
    res.Set("snatNoMapping", Napi::Number::New(env, (double)st.snat_no_mapping));
    res.Set("ctCreateFailed", Napi::Number::New(env, (double)st.ct_create_failed));
    return res;
  }

  struct dl_cluster *c_ = nullptr;

 public:
  ::dl_cluster *Raw() const { return c_; }
};

::dl_cluster *ClusterOf(Napi::Value v) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kClusterTag)) return nullptr;
  Cluster *c = Cluster::Unwrap(v.As<Napi::Object>());
  return c ? c->Raw() : nullptr;
}

void InitCluster(Napi::Env env, Napi::Object exports) { exports.Set("Cluster", Cluster::Define(env)); }

}  // namespace dsrlab
