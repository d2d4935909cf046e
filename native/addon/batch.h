// batch.h: argument checks shared by the addon's functions, and the record index layout
// (REC_FIELDS doubles per record; src/native.ts mirrors it). No datapath logic here.
#ifndef DSRLAB_ADDON_BATCH_H
#define DSRLAB_ADDON_BATCH_H

#include <napi.h>
#include <string>

extern "C" {
#include "dsrlab/capture.h"
struct dl_cluster;
}

namespace dsrlab {

// Field positions in the index: must match REC in src/native.ts.
enum RecField { REC_BUF_OFF = 0, REC_CAPLEN, REC_ORIGLEN, REC_IFACE, REC_LINKTYPE, REC_TS_SEC, REC_TS_NSEC, REC_FILE_OFF, REC_FIELDS };

inline bool ThrowType(Napi::Env env, const std::string &msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

inline bool GetBuffer(const Napi::CallbackInfo &info, size_t i, const char *name, Napi::Buffer<uint8_t> *out) {
  if (info.Length() <= i || !info[i].IsBuffer())
    return ThrowType(info.Env(), std::string("argument '") + name + "' must be a Buffer");
  *out = info[i].As<Napi::Buffer<uint8_t>>();
  return true;
}

inline bool GetIndex(const Napi::CallbackInfo &info, size_t i, const char *name, double **data, size_t *n) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return ThrowType(info.Env(), std::string("argument '") + name + "' must be a Float64Array");
  Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  *data = a.Data();
  *n = a.ElementLength();
  return true;
}

inline bool GetUint(const Napi::CallbackInfo &info, size_t i, const char *name, double max, double *out) {
  if (info.Length() <= i || !info[i].IsNumber())
    return ThrowType(info.Env(), std::string("argument '") + name + "' must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= max) || v != (double)(uint64_t)v)
    return ThrowType(info.Env(), std::string("argument '") + name + "' must be a whole number from 0 to " + std::to_string((uint64_t)max));
  *out = v;
  return true;
}

// Reads record i of an index back into a dl_cap_record, checking that its bytes lie inside buf.
// Returns false (and throws a RangeError) when the index lies about the buffer.
inline bool RecordAt(Napi::Env env, const double *idx, size_t i, size_t buflen, struct dl_cap_record *rec) {
  const double *f = idx + i * REC_FIELDS;
  double off = f[REC_BUF_OFF], cap = f[REC_CAPLEN];
  if (!(off >= 0 && cap >= 0 && off + cap <= (double)buflen)) {
    Napi::RangeError::New(env, "record " + std::to_string(i) + " lies outside the buffer").ThrowAsJavaScriptException();
    return false;
  }
  rec->buf_off = (uint32_t)off;
  rec->caplen = (uint32_t)cap;
  rec->origlen = (uint32_t)f[REC_ORIGLEN];
  rec->iface = (uint32_t)f[REC_IFACE];
  rec->linktype = (uint16_t)f[REC_LINKTYPE];
  rec->ts_sec = (int64_t)f[REC_TS_SEC];
  rec->ts_nsec = (uint32_t)f[REC_TS_NSEC];
  rec->file_off = (uint64_t)f[REC_FILE_OFF];
  return true;
}

inline void StoreRecord(double *idx, size_t i, const struct dl_cap_record *rec) {
  double *f = idx + i * REC_FIELDS;
  f[REC_BUF_OFF] = rec->buf_off;
  f[REC_CAPLEN] = rec->caplen;
  f[REC_ORIGLEN] = rec->origlen;
  f[REC_IFACE] = rec->iface;
  f[REC_LINKTYPE] = rec->linktype;
  f[REC_TS_SEC] = (double)rec->ts_sec;
  f[REC_TS_NSEC] = rec->ts_nsec;
  f[REC_FILE_OFF] = (double)rec->file_off;
}

// Checks a (buffer, index, count) triple and returns false after throwing when it is wrong.
inline bool GetBatch(const Napi::CallbackInfo &info, Napi::Buffer<uint8_t> *buf, double **idx, size_t *count) {
  size_t n;
  double c;
  if (!GetBuffer(info, 0, "buf", buf) || !GetIndex(info, 1, "index", idx, &n) || !GetUint(info, 2, "count", 1e9, &c))
    return false;
  if ((size_t)c * REC_FIELDS > n)
    return ThrowType(info.Env(), "argument 'count' is larger than the index holds");
  *count = (size_t)c;
  return true;
}

// The C cluster behind a Cluster object (cluster.cc), or nullptr for anything else.
::dl_cluster *ClusterOf(Napi::Value v);

void InitCapture(Napi::Env env, Napi::Object exports);
void InitCodec(Napi::Env env, Napi::Object exports);
void InitMaglev(Napi::Env env, Napi::Object exports);
void InitCluster(Napi::Env env, Napi::Object exports);
void InitReplay(Napi::Env env, Napi::Object exports);

}  // namespace dsrlab

#endif
