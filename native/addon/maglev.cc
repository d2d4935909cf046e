// maglev.cc: Maglev for JavaScript: seed decoding, backend hash strings, table building and
// the packet-side hash (native/src/maglev.c, maglev_hash.c). Whole tables cross in one call.
//   maglevSeed(b64) -> {murmur, jhash0, jhash1}
//   maglevHashString({family, addr, port, l4, clusterId, internal}) -> string
//   maglevBuild(hashStrings, weights, m, seedMurmur) -> {table, order, offset, skip, weightsUsed}
//   maglevPacketHash(family, saddr, clientPort, servicePort, proto, affinity, version, seed) -> number
#include "batch.h"
#include <vector>
#include <string>

extern "C" {
#include "dsrlab/maglev.h"
#include "dsrlab/maglev_hash.h"
}

namespace dsrlab {

static Napi::Value MaglevSeed(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowType(env, "argument 'seed' must be a string");
    return env.Null();
  }
  std::string b64 = info[0].As<Napi::String>().Utf8Value();
  struct dl_maglev_seed s;
  char err[256];
  if (dl_maglev_seed_decode(b64.c_str(), &s, err, sizeof(err)) != DL_MAGLEV_OK) {
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("murmur", (double)s.murmur);
  o.Set("jhash0", (double)s.jhash0);
  o.Set("jhash1", (double)s.jhash1);
  return o;
}

// One backend description to its hash string; throws (and returns an empty value) on bad input.
static Napi::Value HashStringOf(Napi::Env env, Napi::Object o) {
  struct dl_maglev_backend_desc d;
  memset(&d, 0, sizeof(d));
  d.family = (uint8_t)o.Get("family").ToNumber().Uint32Value();
  Napi::Value a = o.Get("addr");
  if (!a.IsBuffer() || a.As<Napi::Buffer<uint8_t>>().Length() != (d.family == 6 ? 16u : 4u)) {
    ThrowType(env, "backend.addr must be a Buffer of 4 (IPv4) or 16 (IPv6) bytes");
    return env.Null();
  }
  memcpy(d.addr, a.As<Napi::Buffer<uint8_t>>().Data(), d.family == 6 ? 16 : 4);
  d.port = (uint16_t)o.Get("port").ToNumber().Uint32Value();
  d.l4 = (uint8_t)o.Get("l4").ToNumber().Uint32Value();
  d.cluster_id = o.Get("clusterId").ToNumber().Uint32Value();
  d.scope = o.Get("internal").ToBoolean().Value() ? 1 : 0;
  char buf[DL_MAGLEV_HASH_STRING_MAX];
  int n = dl_maglev_backend_hash_string(&d, buf, sizeof(buf));
  if (n < 0) {
    ThrowType(env, "backend cannot be formatted as a Maglev hash string");
    return env.Null();
  }
  return Napi::String::New(env, buf, (size_t)n);
}

// maglevHashString(backend) -> string, or maglevHashString(backends[]) -> string[] in one call.
static Napi::Value MaglevHashString(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() >= 1 && info[0].IsArray()) {
    Napi::Array in = info[0].As<Napi::Array>();
    Napi::Array out = Napi::Array::New(env, in.Length());
    for (uint32_t i = 0; i < in.Length(); i++) {
      Napi::Value v = in.Get(i);
      if (!v.IsObject()) return ThrowType(env, "backends must be objects"), env.Null();
      Napi::Value h = HashStringOf(env, v.As<Napi::Object>());
      if (env.IsExceptionPending()) return env.Null();
      out.Set(i, h);
    }
    return out;
  }
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowType(env, "argument 'backend' must be an object or an array of them");
    return env.Null();
  }
  return HashStringOf(env, info[0].As<Napi::Object>());
}

static Napi::Value MaglevBuild(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsArray() || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsNumber()) {
    ThrowType(env, "maglevBuild(hashStrings: string[], weights: number[], m: number, seedMurmur: number)");
    return env.Null();
  }
  Napi::Array hs = info[0].As<Napi::Array>(), ws = info[1].As<Napi::Array>();
  uint32_t n = hs.Length();
  if (ws.Length() != n) {
    ThrowType(env, "hashStrings and weights must have the same length");
    return env.Null();
  }
  std::vector<std::string> strs(n);
  std::vector<struct dl_maglev_backend> bes(n);
  for (uint32_t i = 0; i < n; i++) {
    strs[i] = hs.Get(i).ToString().Utf8Value();
    double w = ws.Get(i).ToNumber().DoubleValue();
    if (!(w >= 0 && w <= 65535)) {
      ThrowType(env, "weights must be 0..65535");
      return env.Null();
    }
    bes[i].weight = (uint16_t)w;
  }
  for (uint32_t i = 0; i < n; i++) {
    bes[i].hash_string = strs[i].c_str();
    bes[i].hash_len = strs[i].size();
  }
  uint32_t m = info[2].As<Napi::Number>().Uint32Value();
  uint32_t seed = info[3].As<Napi::Number>().Uint32Value();
  struct dl_maglev_table t;
  char err[256];
  if (dl_maglev_build(bes.data(), n, m, seed, nullptr, 0, &t, err, sizeof(err)) != DL_MAGLEV_OK) {
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Object o = Napi::Object::New(env);
  Napi::Uint32Array table = Napi::Uint32Array::New(env, t.m);
  memcpy(table.Data(), t.entry, (size_t)t.m * 4);
  Napi::Uint32Array order = Napi::Uint32Array::New(env, t.n), off = Napi::Uint32Array::New(env, t.n), skip = Napi::Uint32Array::New(env, t.n);
  memcpy(order.Data(), t.order, (size_t)t.n * 4);
  memcpy(off.Data(), t.offset, (size_t)t.n * 4);
  memcpy(skip.Data(), t.skip, (size_t)t.n * 4);
  o.Set("table", table);
  o.Set("order", order);
  o.Set("offset", off);
  o.Set("skip", skip);
  o.Set("weightsUsed", t.weights_used);
  Napi::Uint32Array counts = Napi::Uint32Array::New(env, t.n);
  memset(counts.Data(), 0, (size_t)t.n * 4);
  for (uint32_t k = 0; k < t.m; k++) counts[t.entry[k]]++;
  o.Set("counts", counts);
  dl_maglev_table_free(&t);
  return o;
}

static Napi::Value MaglevPacketHash(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[1].IsBuffer()) {
    ThrowType(env, "maglevPacketHash(family, saddr: Buffer, clientPort, servicePort, proto, affinity, version, seed)");
    return env.Null();
  }
  uint32_t fam = info[0].ToNumber().Uint32Value();
  Napi::Buffer<uint8_t> sa = info[1].As<Napi::Buffer<uint8_t>>();
  if (sa.Length() != (fam == 6 ? 16u : 4u)) {
    ThrowType(env, "saddr must be 4 (IPv4) or 16 (IPv6) bytes");
    return env.Null();
  }
  uint16_t cp = (uint16_t)info[2].ToNumber().Uint32Value(), sp = (uint16_t)info[3].ToNumber().Uint32Value();
  uint8_t proto = (uint8_t)info[4].ToNumber().Uint32Value();
  bool aff = info[5].ToBoolean().Value();
  enum dl_maglev_hash_version v = (enum dl_maglev_hash_version)info[6].ToNumber().Uint32Value();
  uint32_t seed = info[7].ToNumber().Uint32Value();
  uint32_t h = fam == 6 ? dl_lb6_maglev_hash(sa.Data(), cp, sp, proto, aff, v, seed) : dl_lb4_maglev_hash(sa.Data(), cp, sp, proto, aff, v, seed);
  return Napi::Number::New(env, h);
}

void InitMaglev(Napi::Env env, Napi::Object exports) {
  exports.Set("maglevSeed", Napi::Function::New(env, MaglevSeed, "maglevSeed"));
  exports.Set("maglevHashString", Napi::Function::New(env, MaglevHashString, "maglevHashString"));
  exports.Set("maglevBuild", Napi::Function::New(env, MaglevBuild, "maglevBuild"));
  exports.Set("maglevPacketHash", Napi::Function::New(env, MaglevPacketHash, "maglevPacketHash"));
}

}  // namespace dsrlab
