// addon.cc: registers the addon's exports; each one lives in its own file beside this one.
#include "batch.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dsrlab::InitCapture(env, exports);
  dsrlab::InitCodec(env, exports);
  dsrlab::InitMaglev(env, exports);
  dsrlab::InitCluster(env, exports);
  dsrlab::InitReplay(env, exports);
  return exports;
}

NODE_API_MODULE(dsrlab, Init)
