/*
 * adjtimex(2) for the timex collector: the kernel's NTP discipline state has no file under
 * /proc or /sys and Node has no binding for the call. Read-only (modes = 0), so it needs no
 * privileges. Returns the raw struct timex fields; unit conversion happens in TypeScript.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <node_api.h>

static void set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

static napi_value read_timex(napi_env env, napi_callback_info info) {
  (void)info;
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  int state = adjtimex(&tx);
  if (state == -1) {
    char msg[96];
    snprintf(msg, sizeof msg, "adjtimex: %s", strerror(errno));
    napi_throw_error(env, errno == EPERM ? "EPERM" : "EADJTIMEX", msg);
    return NULL;
  }
  napi_value obj;
  napi_create_object(env, &obj);
  set_number(env, obj, "state", state);
  set_number(env, obj, "offset", (double)tx.offset);
  set_number(env, obj, "freq", (double)tx.freq);
  set_number(env, obj, "maxerror", (double)tx.maxerror);
  set_number(env, obj, "esterror", (double)tx.esterror);
  set_number(env, obj, "status", tx.status);
  set_number(env, obj, "constant", (double)tx.constant);
  set_number(env, obj, "precision", (double)tx.precision);
  set_number(env, obj, "tolerance", (double)tx.tolerance);
  set_number(env, obj, "tick", (double)tx.tick);
  set_number(env, obj, "ppsfreq", (double)tx.ppsfreq);
  set_number(env, obj, "jitter", (double)tx.jitter);
  set_number(env, obj, "shift", tx.shift);
  set_number(env, obj, "stabil", (double)tx.stabil);
  set_number(env, obj, "jitcnt", (double)tx.jitcnt);
  set_number(env, obj, "calcnt", (double)tx.calcnt);
  set_number(env, obj, "errcnt", (double)tx.errcnt);
  set_number(env, obj, "stbcnt", (double)tx.stbcnt);
  set_number(env, obj, "tai", tx.tai);
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "readTimex", NAPI_AUTO_LENGTH, read_timex, NULL, &fn);
  napi_set_named_property(env, exports, "readTimex", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
