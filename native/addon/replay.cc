// replay.cc: ReplaySink, the JS face of native/src/replay_sink.c: `dsrlab replay`'s hot path.
//   const sink = new ReplaySink(cluster, config)   config: see ReplaySinkConfig in src/native.ts
//   sink.begin(buf, index, count, firstId) -> { senders: Uint32Array, servers: Uint8Array }
//   sink.openOutput(fds)   fds: Int32Array, one per capture point, then flows.jsonl (-1 none):
//       from now on the outputs go to those files, written by the sink's writer thread while
//       the emulation runs (replay_sink.h dl_sink_open_output); the fds must stay open until
//   sink.closeOutput() -> null | { output, errno, message }   writes what is left, ends the
//       thread; a failed write is returned (output: its index in fds)
//   sink.run() -> { status, done, pcap?: Buffer, pointLengths?: Float64Array, flows?: Buffer,
//                   runs?: [{events, arena, first, processed}], error?: {...} }
//       runs the batch through the cluster; status 0 done, 1 outputs full (take them, call
//       again), < 0 an error (the outputs of the events before it are returned, or with
//       openOutput written at closeOutput). error.message: the errno's text for a failed
//       write (code -6, field: the output, value: the errno).
//   sink.result() -> { totals, tables, groups, mismatches }   (after the last batch)
//   replayFirstFrom(buf, index, count, addrs) -> index of the first packet from one of the
//       addresses (17 bytes each: family, 16 address bytes), or -1
// One call per batch (a few when outputs fill up), never per packet.
#include "batch.h"
#include <cerrno>
#include <cstring>
#include <vector>

extern "C" {
#include "dsrlab/replay_sink.h"
}

namespace dsrlab {

static bool ToRecords(Napi::Env env, const double *idx, size_t count, size_t buflen, std::vector<struct dl_cap_record> *recs) {
  recs->resize(count);
  for (size_t i = 0; i < count; i++)
    if (!RecordAt(env, idx, i, buflen, &(*recs)[i])) return false;
  return true;
}

static Napi::Buffer<uint8_t> CopyBuf(Napi::Env env, const uint8_t *p, size_t n) {
  return n ? Napi::Buffer<uint8_t>::Copy(env, p, n) : Napi::Buffer<uint8_t>::New(env, 0);
}

class ReplaySink : public Napi::ObjectWrap<ReplaySink> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ReplaySink",
                       {InstanceMethod("begin", &ReplaySink::Begin), InstanceMethod("run", &ReplaySink::Run),
                        InstanceMethod("openOutput", &ReplaySink::OpenOutput),
                        InstanceMethod("closeOutput", &ReplaySink::CloseOutput),
                        InstanceMethod("result", &ReplaySink::Result)});
  }

  explicit ReplaySink(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ReplaySink>(info) {
    Napi::Env env = info.Env();
    c_ = info.Length() > 0 ? ClusterOf(info[0]) : nullptr;
    if (!c_ || info.Length() < 2 || !info[1].IsObject()) {
      ThrowType(env, "new ReplaySink(cluster: Cluster, config: object)");
      return;
    }
    cluster_ = Napi::Persistent(info[0].As<Napi::Object>());
    Napi::Object o = info[1].As<Napi::Object>();
    struct dl_sink_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    double v;
    auto num = [&](const char *k, double max, double def, double *out) -> bool {
      Napi::Value x = o.Get(k);
      if (x.IsUndefined()) {
        *out = def;
        return true;
      }
      double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d)
        return ThrowType(env, std::string("config.") + k + " must be a whole number from 0 to " + std::to_string((uint64_t)max));
      *out = d;
      return true;
    };
    auto flag = [&](const char *k) { Napi::Value x = o.Get(k); return x.IsBoolean() && x.As<Napi::Boolean>().Value(); };
    if (!num("hosts", 1 << 24, 0, &v)) return;
    cfg.n_hosts = (uint32_t)v;
    if (!num("world", 1 << 24, 0, &v)) return;
    cfg.world = (uint32_t)v;
    if (!num("maxEvents", 1e8, 1 << 18, &v)) return;
    cfg.max_events = (uint32_t)v;
    if (!num("arenaBytes", 4e9, 32 << 20, &v)) return;
    cfg.arena_bytes = (uint32_t)v;
    if (!num("chunkPackets", 1e8, 0, &v)) return;
    cfg.chunk_packets = (uint32_t)v;
    if (!num("flushBytes", 4e9, 0, &v)) return;
    cfg.flush_bytes = (size_t)v;
    cfg.capture_responder = flag("captureResponder");
    cfg.pcaps = flag("pcaps");
    cfg.flows = flag("flows");
    keep_runs_ = flag("keepRuns");
    s_ = dl_sink_new(&cfg);
    if (!s_) {
      Napi::Error::New(env, "ReplaySink: bad config (no hosts, world not a host) or no memory").ThrowAsJavaScriptException();
      return;
    }
    if (keep_runs_) dl_sink_on_run(s_, &ReplaySink::OnRun, this);
    if (!Setup(env, o)) return;
  }
  ~ReplaySink() override { dl_sink_free(s_); }

 private:
  static Napi::Array ArrayOf(Napi::Object o, const char *k) {
    Napi::Value v = o.Get(k);
    return v.IsArray() ? v.As<Napi::Array>() : Napi::Array::New(o.Env(), 0);
  }

  bool Fail(Napi::Env env, const std::string &what) {
    Napi::Error::New(env, "ReplaySink: " + what).ThrowAsJavaScriptException();
    return false;
  }

  // nodes: number[]; addresses: [family, Buffer, host][]; frontends: [family, Buffer][];
  // names?: { hosts: [frag, peerFrag][], points: string[], verdicts: string[],
  //           drops: [code, frag][], backends: [id, frag][] }
  bool Setup(Napi::Env env, Napi::Object o) {
    Napi::Array nodes = ArrayOf(o, "nodes");
    for (uint32_t i = 0; i < nodes.Length(); i++)
      if (dl_sink_set_node(s_, nodes.Get(i).ToNumber().Uint32Value())) return Fail(env, "node is not a host");
    auto addr = [&](Napi::Value fam, Napi::Value buf, uint8_t *out, uint8_t *family) -> bool {
      *family = (uint8_t)fam.ToNumber().Uint32Value();
      size_t want = *family == 6 ? 16 : 4;
      if ((*family != 4 && *family != 6) || !buf.IsBuffer() || buf.As<Napi::Buffer<uint8_t>>().Length() != want)
        return Fail(env, "an address must be [4, Buffer(4)] or [6, Buffer(16)]");
      memcpy(out, buf.As<Napi::Buffer<uint8_t>>().Data(), want);
      return true;
    };
    Napi::Array addrs = ArrayOf(o, "addresses");
    for (uint32_t i = 0; i < addrs.Length(); i++) {
      Napi::Array a = addrs.Get(i).As<Napi::Array>();
      uint8_t fam, b[16];
      if (!addr(a.Get(0u), a.Get(1u), b, &fam)) return false;
      if (dl_sink_add_address(s_, fam, b, a.Get(2u).ToNumber().Uint32Value())) return Fail(env, "address of no host");
    }
    Napi::Array fes = ArrayOf(o, "frontends");
    for (uint32_t i = 0; i < fes.Length(); i++) {
      Napi::Array a = fes.Get(i).As<Napi::Array>();
      uint8_t fam, b[16];
      if (!addr(a.Get(0u), a.Get(1u), b, &fam)) return false;
      if (dl_sink_add_frontend(s_, fam, b)) return Fail(env, "no memory");
    }
    Napi::Value nv = o.Get("names");
    if (!nv.IsObject()) return true;
    Napi::Object names = nv.As<Napi::Object>();
    struct dl_flow_fmt *f = dl_sink_flow_fmt(s_);
    Napi::Array hosts = ArrayOf(names, "hosts");
    for (uint32_t i = 0; i < hosts.Length(); i++) {
      Napi::Array h = hosts.Get(i).As<Napi::Array>();
      std::string a = h.Get(0u).ToString().Utf8Value(), b = h.Get(1u).ToString().Utf8Value();
      if (dl_flow_fmt_set_host(f, i, a.data(), a.size(), b.data(), b.size())) return Fail(env, "names.hosts: more than hosts");
    }
    Napi::Array points = ArrayOf(names, "points");
    for (uint32_t i = 0; i < points.Length(); i++) {
      std::string a = points.Get(i).ToString().Utf8Value();
      if (dl_flow_fmt_set_point(f, i, a.data(), a.size())) return Fail(env, "names.points: too many");
    }
    Napi::Array verdicts = ArrayOf(names, "verdicts");
    for (uint32_t i = 0; i < verdicts.Length(); i++) {
      std::string a = verdicts.Get(i).ToString().Utf8Value();
      if (dl_flow_fmt_set_verdict(f, i, a.data(), a.size())) return Fail(env, "names.verdicts: too many");
    }
    Napi::Array drops = ArrayOf(names, "drops");
    for (uint32_t i = 0; i < drops.Length(); i++) {
      Napi::Array d = drops.Get(i).As<Napi::Array>();
      std::string a = d.Get(1u).ToString().Utf8Value();
      if (dl_flow_fmt_set_drop(f, d.Get(0u).ToNumber().Uint32Value(), a.data(), a.size())) return Fail(env, "names.drops: code out of range");
    }
    Napi::Array backends = ArrayOf(names, "backends");
    for (uint32_t i = 0; i < backends.Length(); i++) {
      Napi::Array d = backends.Get(i).As<Napi::Array>();
      std::string a = d.Get(1u).ToString().Utf8Value();
      if (dl_flow_fmt_set_backend(f, d.Get(0u).ToNumber().Uint32Value(), a.data(), a.size())) return Fail(env, "names.backends: id out of range");
    }
    return true;
  }

  // begin(buf, index, count, firstId)
  Napi::Value Begin(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Buffer<uint8_t> buf;
    double *idx = nullptr;
    size_t count = 0;
    double first;
    if (!GetBatch(info, &buf, &idx, &count) || !GetUint(info, 3, "firstId", 4294967295.0, &first)) return env.Null();
    if (count > 0xffffffffu - (uint32_t)first) return ThrowType(env, "firstId + count must stay below 2^32"), env.Null();
    if (!ToRecords(env, idx, count, buf.Length(), &recs_)) return env.Null();
    batch_ = Napi::Persistent(buf);  // the sink reads the packets until the batch is done
    struct dl_sink_batch b;
    b.data = buf.Data();
    b.len = buf.Length();
    b.recs = recs_.data();
    b.count = (uint32_t)count;
    b.first_id = (uint32_t)first;
    done_ = 0;
    if (dl_sink_begin(s_, &b)) {
      Napi::Error::New(env, "ReplaySink.begin: no memory").ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Object res = Napi::Object::New(env);
    Napi::Uint32Array senders = Napi::Uint32Array::New(env, count);
    Napi::Uint8Array servers = Napi::Uint8Array::New(env, count);
    if (count) {
      memcpy(senders.Data(), dl_sink_senders(s_), count * sizeof(uint32_t));
      memcpy(servers.Data(), dl_sink_servers(s_), count);
    }
    res.Set("senders", senders);
    res.Set("servers", servers);
    return res;
  }

  static void OnRun(void *ctx, const struct dl_out *out, uint32_t first, uint32_t processed) {
    ReplaySink *self = static_cast<ReplaySink *>(ctx);
    Kept k;
    k.events.assign(reinterpret_cast<const uint8_t *>(out->events), reinterpret_cast<const uint8_t *>(out->events + out->n_events));
    k.arena.assign(out->arena, out->arena + out->arena_used);
    k.first = first;
    k.processed = processed;
    self->kept_.push_back(std::move(k));
  }

  // openOutput(fds: Int32Array)
  Napi::Value OpenOutput(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint32_t np = dl_sink_points(s_);
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[0].As<Napi::Int32Array>().ElementLength() != (size_t)np + 1)
      return ThrowType(env, "ReplaySink.openOutput(fds): fds must be an Int32Array of one fd per capture point and one for flows"), env.Null();
    int rc = dl_sink_open_output(s_, info[0].As<Napi::Int32Array>().Data(), np + 1);
    output_open_ = rc == 0;
    if (rc) {
      Napi::Error::New(env, rc == DL_SINK_EINVAL ? "ReplaySink.openOutput: already open" : "ReplaySink.openOutput: no memory or no thread")
          .ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Undefined();
  }

  Napi::Value CloseOutput(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    output_open_ = false;
    if (dl_sink_close_output(s_) == 0) return env.Null();
    const struct dl_sink_error *e = dl_sink_error(s_);
    Napi::Object r = Napi::Object::New(env);
    r.Set("output", (double)e->field);
    r.Set("errno", (double)e->value);
    r.Set("message", strerror((int)e->value));
    return r;
  }

  // run(): outputs come back as Buffers, unless openOutput sent them to files.
  Napi::Value Run(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (batch_.IsEmpty()) return ThrowType(env, "ReplaySink.run: no batch (call begin first)"), env.Null();
    uint32_t np = dl_sink_points(s_);
    kept_.clear();
    int rc = dl_sink_run(s_, c_, &done_);
    Napi::Object res = Napi::Object::New(env);
    res.Set("status", rc);
    res.Set("done", (double)done_);
    // Outputs: every capture point's pcap records back to back, with their lengths (with
    // openOutput they wait for the writer instead).
    size_t total = 0;
    for (uint32_t i = 0; i < np && !output_open_; i++) total += dl_sink_point(s_, i)->len;
    if (total) {
      Napi::Buffer<uint8_t> pcap = Napi::Buffer<uint8_t>::New(env, total);
      Napi::Float64Array lens = Napi::Float64Array::New(env, np);
      size_t at = 0;
      for (uint32_t i = 0; i < np; i++) {
        const struct dl_buf *b = dl_sink_point(s_, i);
        if (b->len) memcpy(pcap.Data() + at, b->data, b->len);
        at += b->len;
        lens[i] = (double)b->len;
      }
      res.Set("pcap", pcap);
      res.Set("pointLengths", lens);
    }
    if (!output_open_) {
      const struct dl_buf *fl = dl_sink_flows(s_);
      if (fl->len) res.Set("flows", CopyBuf(env, fl->data, fl->len));
      dl_sink_clear_outputs(s_);
    }
    if (keep_runs_) {
      Napi::Array runs = Napi::Array::New(env, kept_.size());
      for (size_t i = 0; i < kept_.size(); i++) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("events", CopyBuf(env, kept_[i].events.data(), kept_[i].events.size()));
        r.Set("arena", CopyBuf(env, kept_[i].arena.data(), kept_[i].arena.size()));
        r.Set("first", (double)kept_[i].first);
        r.Set("processed", (double)kept_[i].processed);
        runs.Set(i, r);
      }
      res.Set("runs", runs);
      kept_.clear();
    }
    if (rc < 0) {
      const struct dl_sink_error *e = dl_sink_error(s_);
      Napi::Object er = Napi::Object::New(env);
      er.Set("code", e->rc);
      er.Set("packet", (double)e->packet);
      er.Set("field", (double)e->field);
      er.Set("value", (double)e->value);
      er.Set("tsSec", (double)e->ts_sec);
      if (rc == DL_SINK_EWRITE) er.Set("message", strerror((int)e->value));
      res.Set("error", er);
    }
    if (rc != DL_SINK_FLUSH) batch_.Reset();
    return res;
  }

  Napi::Value Result(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (dl_sink_finish(s_)) {
      Napi::Error::New(env, "ReplaySink.result: no memory").ThrowAsJavaScriptException();
      return env.Null();
    }
    const struct dl_sink_totals *t = dl_sink_totals(s_);
    const uint64_t tv[] = {t->in, t->delivered, t->to_stack, t->dropped, t->answered, t->unaccounted, t->requests, t->server,
                           t->made, t->made_delivered, t->made_to_stack, t->made_dropped, t->made_answered, t->made_unaccounted,
                           t->flows, t->flows_balanced, t->flows_split, t->withheld, t->compared, t->matched, t->mismatched,
                           t->not_delivered, t->flow_lines};
    const size_t ntv = sizeof(tv) / sizeof(tv[0]);
    Napi::Float64Array totals = Napi::Float64Array::New(env, ntv);
    for (size_t i = 0; i < ntv; i++) totals[i] = (double)tv[i];
    Napi::Object res = Napi::Object::New(env);
    res.Set("totals", totals);
    // Tables: rows of (key0, key1, key2, count), in the order their keys first occurred.
    Napi::Array tables = Napi::Array::New(env, DL_SINK_TABLES);
    for (uint32_t t2 = 0; t2 < DL_SINK_TABLES; t2++) {
      if (t2 == DL_SINK_T_FLOW_GROUPS) continue;
      uint32_t n = dl_sink_rows(s_, (enum dl_sink_table)t2);
      Napi::Float64Array rows = Napi::Float64Array::New(env, (size_t)n * 4);
      for (uint32_t i = 0; i < n; i++) {
        int64_t k[3];
        uint64_t c;
        dl_sink_row(s_, (enum dl_sink_table)t2, i, k, &c);
        rows[4 * i] = (double)k[0];
        rows[4 * i + 1] = (double)k[1];
        rows[4 * i + 2] = (double)k[2];
        rows[4 * i + 3] = (double)c;
      }
      tables.Set(t2, rows);
    }
    res.Set("tables", tables);
    // Flow groups: (n, backend × n, flows) back to back.
    uint32_t ng = dl_sink_rows(s_, DL_SINK_T_FLOW_GROUPS);
    std::vector<double> g;
    for (uint32_t i = 0; i < ng; i++) {
      uint32_t n;
      uint64_t flows;
      const uint32_t *b = dl_sink_flow_group(s_, i, &n, &flows);
      g.push_back(n);
      for (uint32_t k = 0; k < n; k++) g.push_back(b[k]);
      g.push_back((double)flows);
    }
    Napi::Float64Array groups = Napi::Float64Array::New(env, g.size());
    for (size_t i = 0; i < g.size(); i++) groups[i] = g[i];
    res.Set("groups", groups);
    uint32_t nm = dl_sink_mismatches(s_);
    Napi::Array mms = Napi::Array::New(env, nm);
    for (uint32_t i = 0; i < nm; i++) {
      const struct dl_sink_mismatch *m = dl_sink_mismatch(s_, i);
      Napi::Object mo = Napi::Object::New(env);
      mo.Set("packet", (double)m->packet);
      mo.Set("kind", m->kind);
      if (m->kind == DL_MISMATCH_BYTES) {
        mo.Set("l4Off", m->l4_off);
        mo.Set("l4Proto", m->l4_proto);
        mo.Set("expected", CopyBuf(env, m->expected, m->expected_len));
        mo.Set("got", CopyBuf(env, m->got, m->got_len));
      }
      mms.Set(i, mo);
    }
    res.Set("mismatches", mms);
    return res;
  }

  struct Kept {
    std::vector<uint8_t> events, arena;
    uint32_t first = 0, processed = 0;
  };

  struct dl_cluster *c_ = nullptr;
  struct dl_sink *s_ = nullptr;
  Napi::ObjectReference cluster_;
  Napi::Reference<Napi::Buffer<uint8_t>> batch_;
  std::vector<struct dl_cap_record> recs_;
  uint32_t done_ = 0;
  bool keep_runs_ = false;
  bool output_open_ = false;
  std::vector<Kept> kept_;
};

// replayFirstFrom(buf, index, count, addrs: Buffer of 17-byte entries) -> index or -1
static Napi::Value FirstFrom(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf, addrs;
  double *idx = nullptr;
  size_t count = 0;
  if (!GetBatch(info, &buf, &idx, &count) || !GetBuffer(info, 3, "addrs", &addrs)) return env.Null();
  if (addrs.Length() % 17) return ThrowType(env, "addrs must hold 17 bytes per address"), env.Null();
  std::vector<struct dl_cap_record> recs;
  if (!ToRecords(env, idx, count, buf.Length(), &recs)) return env.Null();
  int64_t r = dl_sink_first_from(buf.Data(), buf.Length(), recs.data(), (uint32_t)count, addrs.Data(), (uint32_t)(addrs.Length() / 17));
  if (r < -1) {
    Napi::Error::New(env, "replayFirstFrom: no memory").ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, (double)r);
}

void InitReplay(Napi::Env env, Napi::Object exports) {
  exports.Set("ReplaySink", ReplaySink::Define(env));
  exports.Set("replayFirstFrom", Napi::Function::New(env, FirstFrom, "replayFirstFrom"));
}

}  // namespace dsrlab
