// capture.cc: CapReader, the JS face of the streaming capture reader (native/src/capture.c).
//   new CapReader(); reader.feed(buf, len, fileOffset, eof, index) -> {status, count, consumed, need, error?, errorOffset?}
//   reader.header() -> {format, bigEndian, nanosecond, snaplen, linktype, interfaces}
// One call per chunk of the file; records go into the caller's Float64Array index.
#include "batch.h"
#include <vector>

namespace dsrlab {

class CapReader : public Napi::ObjectWrap<CapReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CapReader", {InstanceMethod("feed", &CapReader::Feed), InstanceMethod("header", &CapReader::Header)});
  }
  explicit CapReader(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CapReader>(info) { dl_cap_init(&r_); }
  ~CapReader() override { dl_cap_free(&r_); }

 private:
  Napi::Value Feed(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Buffer<uint8_t> buf;
    double len, off;
    double *idx;
    size_t idxlen;
    if (!GetBuffer(info, 0, "buf", &buf) || !GetUint(info, 1, "len", (double)buf.Length(), &len) ||
        !GetUint(info, 2, "fileOffset", 9007199254740991.0, &off))
      return env.Null();
    if (info.Length() < 4 || !info[3].IsBoolean()) {
      ThrowType(env, "argument 'eof' must be a boolean");
      return env.Null();
    }
    if (!GetIndex(info, 4, "index", &idx, &idxlen)) return env.Null();
    size_t max = idxlen / REC_FIELDS;
    if (recs_.size() < max) recs_.resize(max);
    size_t n = 0, consumed = 0;
    int st = dl_cap_feed(&r_, buf.Data(), (size_t)len, (uint64_t)off, info[3].As<Napi::Boolean>().Value() ? 1 : 0,
                         recs_.data(), max, &n, &consumed);
    for (size_t i = 0; i < n; i++) StoreRecord(idx, i, &recs_[i]);
    Napi::Object res = Napi::Object::New(env);
    res.Set("status", st);
    res.Set("count", (double)n);
    res.Set("consumed", (double)consumed);
    res.Set("need", (double)r_.need);
    if (st == DL_CAP_ERR) {
      res.Set("error", std::string(r_.err));
      res.Set("errorOffset", (double)r_.err_off);
    }
    return res;
  }

  Napi::Value Header(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object h = Napi::Object::New(env);
    h.Set("format", r_.format == DL_CAP_FMT_PCAPNG ? "pcapng" : "pcap");
    h.Set("bigEndian", r_.big_endian);
    h.Set("nanosecond", r_.nsec);
    h.Set("snaplen", (double)r_.snaplen);
    h.Set("linktype", (double)r_.linktype);
    Napi::Array ifs = Napi::Array::New(env, r_.n_ifaces);
    for (uint32_t i = 0; i < r_.n_ifaces; i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("linktype", (double)r_.ifaces[i].linktype);
      o.Set("snaplen", (double)r_.ifaces[i].snaplen);
      ifs.Set(i, o);
    }
    h.Set("interfaces", ifs);
    h.Set("sections", (double)r_.sections);
    return h;
  }

  struct dl_cap_reader r_;
  std::vector<struct dl_cap_record> recs_;
};

void InitCapture(Napi::Env env, Napi::Object exports) { exports.Set("CapReader", CapReader::Define(env)); }

}  // namespace dsrlab
