var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// stub:@actions/http-client
var require_http_client = __commonJS({
  "stub:@actions/http-client"(exports2, module2) {
    function unused() {
      throw new Error("@actions/http-client is not bundled: neon-gitops makes no OIDC or HTTP calls through @actions/core");
    }
    module2.exports = { HttpClient: unused, BearerCredentialHandler: unused };
  }
});

// stub:@actions/http-client/lib/auth
var require_auth = __commonJS({
  "stub:@actions/http-client/lib/auth"(exports2, module2) {
    function unused() {
      throw new Error("@actions/http-client is not bundled: neon-gitops makes no OIDC or HTTP calls through @actions/core");
    }
    module2.exports = { HttpClient: unused, BearerCredentialHandler: unused };
  }
});

// build/wasm/neon_gitops.js
var require_neon_gitops = __commonJS({
  "build/wasm/neon_gitops.js"(exports2) {
    function analyze2(request_json) {
      let deferred2_0;
      let deferred2_1;
      try {
        const ptr0 = passStringToWasm0(request_json, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm2.analyze(ptr0, len0);
        deferred2_0 = ret[0];
        deferred2_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
      } finally {
        wasm2.__wbindgen_free(deferred2_0, deferred2_1, 1);
      }
    }
    exports2.analyze = analyze2;
    function last_panic2() {
      const ret = wasm2.last_panic();
      let v1;
      if (ret[0] !== 0) {
        v1 = getStringFromWasm0(ret[0], ret[1]);
        wasm2.__wbindgen_free(ret[0], ret[1] * 1, 1);
      }
      return v1;
    }
    exports2.last_panic = last_panic2;
    function post2(host) {
      const ret = wasm2.post(host);
      return ret;
    }
    exports2.post = post2;
    function run2(host) {
      const ret = wasm2.run(host);
      return ret;
    }
    exports2.run = run2;
    function __wbg_get_imports() {
      const import0 = {
        __proto__: null,
        __wbg_Error_208446807d0d1e30: function(arg0, arg1) {
          const ret = Error(getStringFromWasm0(arg0, arg1));
          return ret;
        },
        __wbg___wbindgen_debug_string_f249a2a76caa9a55: function(arg0, arg1) {
          const ret = debugString(arg1);
          const ptr1 = passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          const len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_is_function_741ff2bb612836f5: function(arg0) {
          const ret = typeof arg0 === "function";
          return ret;
        },
        __wbg___wbindgen_is_object_8b968c3ab8e96595: function(arg0) {
          const val = arg0;
          const ret = typeof val === "object" && val !== null;
          return ret;
        },
        __wbg___wbindgen_is_undefined_be5b34249ff1fc15: function(arg0) {
          const ret = arg0 === void 0;
          return ret;
        },
        __wbg___wbindgen_string_get_7ce8eee7fd327545: function(arg0, arg1) {
          const obj = arg1;
          const ret = typeof obj === "string" ? obj : void 0;
          var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          var len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
          throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg__wbg_cb_unref_09736879a3f67559: function(arg0) {
          arg0._wbg_cb_unref();
        },
        __wbg_abort_d3b62653236ec492: function(arg0, arg1) {
          arg0.abort(arg1);
        },
        __wbg_abort_f8d1589eb0c65ee2: function(arg0) {
          arg0.abort();
        },
        __wbg_annotate_28792dd102eae88b: function(arg0, arg1, arg2, arg3, arg4) {
          arg0.annotate(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        },
        __wbg_appendSummary_8d255682670098b7: function(arg0, arg1, arg2) {
          arg0.appendSummary(getStringFromWasm0(arg1, arg2));
        },
        __wbg_append_ba9a4dc30a0323fd: function() {
          return handleError(function(arg0, arg1, arg2, arg3, arg4) {
            arg0.append(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
          }, arguments);
        },
        __wbg_call_40b008ba32f73991: function() {
          return handleError(function(arg0, arg1) {
            const ret = arg0.call(arg1);
            return ret;
          }, arguments);
        },
        __wbg_call_a410eb4b59ed5965: function() {
          return handleError(function(arg0, arg1, arg2) {
            const ret = arg0.call(arg1, arg2);
            return ret;
          }, arguments);
        },
        __wbg_clearTimeout_6b8d9a38b9263d65: function(arg0) {
          const ret = clearTimeout(arg0);
          return ret;
        },
        __wbg_done_57e08d0be6e30c02: function(arg0) {
          const ret = arg0.done;
          return ret;
        },
        __wbg_endGroup_9bc9011732ae6fe4: function(arg0) {
          arg0.endGroup();
        },
        __wbg_env_21b664fde0572377: function(arg0, arg1, arg2, arg3) {
          const ret = arg1.env(getStringFromWasm0(arg2, arg3));
          var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          var len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_fetch_41d29a2b2428e0c7: function(arg0, arg1) {
          const ret = arg0.fetch(arg1);
          return ret;
        },
        __wbg_fetch_9dad4fe911207b37: function(arg0) {
          const ret = fetch(arg0);
          return ret;
        },
        __wbg_get_2080c49015e35254: function() {
          return handleError(function(arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
          }, arguments);
        },
        __wbg_get_635eea311fa1a291: function() {
          return handleError(function(arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
          }, arguments);
        },
        __wbg_has_2c4d5cf25ec8c1cf: function() {
          return handleError(function(arg0, arg1) {
            const ret = Reflect.has(arg0, arg1);
            return ret;
          }, arguments);
        },
        __wbg_headers_5fc0106c076eb731: function(arg0) {
          const ret = arg0.headers;
          return ret;
        },
        __wbg_input_9b2a7c86eb80ef05: function(arg0, arg1, arg2, arg3) {
          const ret = arg1.input(getStringFromWasm0(arg2, arg3));
          const ptr1 = passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          const len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_instanceof_Response_5b0b4f7f1daeae51: function(arg0) {
          let result;
          try {
            result = arg0 instanceof Response;
          } catch (_) {
            result = false;
          }
          const ret = result;
          return ret;
        },
        __wbg_iterator_e4c5e8f68ada7b58: function() {
          const ret = Symbol.iterator;
          return ret;
        },
        __wbg_kill_a0d24ee116ff8bbf: function(arg0, arg1) {
          arg0.kill(arg1 >>> 0);
        },
        __wbg_log_d88b842f45d965e9: function(arg0, arg1, arg2, arg3, arg4) {
          arg0.log(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        },
        __wbg_mask_ee97fa0ddeb5ec7b: function(arg0, arg1, arg2) {
          arg0.mask(getStringFromWasm0(arg1, arg2));
        },
        __wbg_new_277c27c26f94cbc2: function() {
          return handleError(function() {
            const ret = new Headers();
            return ret;
          }, arguments);
        },
        __wbg_new_5f28518387ad0e34: function() {
          return handleError(function() {
            const ret = new AbortController();
            return ret;
          }, arguments);
        },
        __wbg_new_cd4348290afae586: function() {
          const ret = new Object();
          return ret;
        },
        __wbg_new_from_slice_b8daf545a41c6aa0: function(arg0, arg1) {
          const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
          return ret;
        },
        __wbg_new_typed_e09da9dae6ee5935: function(arg0, arg1) {
          try {
            var state0 = { a: arg0, b: arg1 };
            var cb0 = (arg02, arg12) => {
              const a = state0.a;
              state0.a = 0;
              try {
                return wasm_bindgen__convert__closures_____invoke__hb7bae8d1ceda1975(a, state0.b, arg02, arg12);
              } finally {
                state0.a = a;
              }
            };
            const ret = new Promise(cb0);
            return ret;
          } finally {
            state0.a = 0;
          }
        },
        __wbg_new_with_str_and_init_d9f6b5611184e16b: function() {
          return handleError(function(arg0, arg1, arg2) {
            const ret = new Request(getStringFromWasm0(arg0, arg1), arg2);
            return ret;
          }, arguments);
        },
        __wbg_next_178c1651c11432b3: function(arg0) {
          const ret = arg0.next;
          return ret;
        },
        __wbg_next_af5ac6a08bb0a717: function() {
          return handleError(function(arg0) {
            const ret = arg0.next();
            return ret;
          }, arguments);
        },
        __wbg_nowMs_7df4bd71e674f8e6: function(arg0) {
          const ret = arg0.nowMs();
          return ret;
        },
        __wbg_queueMicrotask_1e8503a8a690f0a3: function(arg0) {
          const ret = arg0.queueMicrotask;
          return ret;
        },
        __wbg_queueMicrotask_4a1a4d8dd332373b: function(arg0) {
          queueMicrotask(arg0);
        },
        __wbg_random_b58920216bab44c8: function(arg0) {
          const ret = arg0.random();
          return ret;
        },
        __wbg_readFile_b7da334d4aa1b2e3: function() {
          return handleError(function(arg0, arg1, arg2, arg3) {
            const ret = arg1.readFile(getStringFromWasm0(arg2, arg3));
            const ptr1 = passArray8ToWasm0(ret, wasm2.__wbindgen_malloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
          }, arguments);
        },
        __wbg_resolve_dbf78ab4942478b0: function(arg0) {
          const ret = Promise.resolve(arg0);
          return ret;
        },
        __wbg_run_23018da36e3685c8: function(arg0, arg1, arg2) {
          const ret = arg0.run(getStringFromWasm0(arg1, arg2));
          return ret;
        },
        __wbg_saveState_db68461822213816: function(arg0, arg1, arg2, arg3, arg4) {
          arg0.saveState(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        },
        __wbg_setOutput_6c75b2438d2a8332: function(arg0, arg1, arg2, arg3, arg4) {
          arg0.setOutput(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        },
        __wbg_setTimeout_f757f00851f76c42: function(arg0, arg1) {
          const ret = setTimeout(arg0, arg1);
          return ret;
        },
        __wbg_set_body_877d5251e78ca815: function(arg0, arg1) {
          arg0.body = arg1;
        },
        __wbg_set_cache_7a23201e29cbd632: function(arg0, arg1) {
          arg0.cache = __wbindgen_enum_RequestCache[arg1];
        },
        __wbg_set_credentials_bb5277b4006149d4: function(arg0, arg1) {
          arg0.credentials = __wbindgen_enum_RequestCredentials[arg1];
        },
        __wbg_set_headers_6d75a7df4eb22716: function(arg0, arg1) {
          arg0.headers = arg1;
        },
        __wbg_set_method_639e69af35614d36: function(arg0, arg1, arg2) {
          arg0.method = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_mode_07e051ad8b4e2126: function(arg0, arg1) {
          arg0.mode = __wbindgen_enum_RequestMode[arg1];
        },
        __wbg_set_signal_0b2eee78907e5ba7: function(arg0, arg1) {
          arg0.signal = arg1;
        },
        __wbg_signal_fac908876f45725d: function(arg0) {
          const ret = arg0.signal;
          return ret;
        },
        __wbg_sleep_7594e4d0b86e73b9: function(arg0, arg1) {
          const ret = arg0.sleep(arg1);
          return ret;
        },
        __wbg_spawn_48a568846e8a8ab1: function() {
          return handleError(function(arg0, arg1, arg2) {
            const ret = arg0.spawn(getStringFromWasm0(arg1, arg2));
            return ret;
          }, arguments);
        },
        __wbg_startGroup_1cceae530bdd6f1a: function(arg0, arg1, arg2) {
          arg0.startGroup(getStringFromWasm0(arg1, arg2));
        },
        __wbg_state_6b974889c37737ae: function(arg0, arg1, arg2, arg3) {
          const ret = arg1.state(getStringFromWasm0(arg2, arg3));
          const ptr1 = passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          const len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc: function() {
          const ret = typeof globalThis === "undefined" ? void 0 : globalThis;
          return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_GLOBAL_e4293fb22cbe77da: function() {
          const ret = typeof global === "undefined" ? void 0 : global;
          return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_SELF_53bb20457401453d: function() {
          const ret = typeof self === "undefined" ? void 0 : self;
          return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_WINDOW_b5e0810bfecb7feb: function() {
          const ret = typeof window === "undefined" ? void 0 : window;
          return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_status_cb85b6c8d1769fa1: function(arg0) {
          const ret = arg0.status;
          return ret;
        },
        __wbg_stringify_0a0fbf2ef722380a: function() {
          return handleError(function(arg0) {
            const ret = JSON.stringify(arg0);
            return ret;
          }, arguments);
        },
        __wbg_text_5240eb2c41de8292: function() {
          return handleError(function(arg0) {
            const ret = arg0.text();
            return ret;
          }, arguments);
        },
        __wbg_then_656f253a5dd7d8ea: function(arg0, arg1, arg2) {
          const ret = arg0.then(arg1, arg2);
          return ret;
        },
        __wbg_then_e3f7f2d365708be8: function(arg0, arg1) {
          const ret = arg0.then(arg1);
          return ret;
        },
        __wbg_url_9fadea28ec624f1d: function(arg0, arg1) {
          const ret = arg1.url;
          const ptr1 = passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
          const len1 = WASM_VECTOR_LEN;
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
          getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_value_e0f328965e184931: function(arg0) {
          const ret = arg0.value;
          return ret;
        },
        __wbg_wait_3a95aa7d5092c296: function(arg0, arg1, arg2) {
          const ret = arg0.wait(arg1 >>> 0, arg2);
          return ret;
        },
        __wbg_walk_9cf0d33e653ee748: function() {
          return handleError(function(arg0, arg1, arg2, arg3) {
            const ret = arg1.walk(getStringFromWasm0(arg2, arg3));
            const ptr1 = passStringToWasm0(ret, wasm2.__wbindgen_malloc, wasm2.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
          }, arguments);
        },
        __wbg_writeFile_3d012a97724dd96d: function() {
          return handleError(function(arg0, arg1, arg2, arg3, arg4) {
            arg0.writeFile(getStringFromWasm0(arg1, arg2), getArrayU8FromWasm0(arg3, arg4));
          }, arguments);
        },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
          const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h5e84aab8614c9381);
          return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
          const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__hd700f03244818ddc);
          return ret;
        },
        __wbindgen_generic_0000000000000003: function(arg0, arg1) {
          const ret = getStringFromWasm0(arg0, arg1);
          return ret;
        },
        __wbindgen_init_externref_table: function() {
          const table = wasm2.__wbindgen_externrefs;
          table.set(0, void 0);
          table.set(1024, void 0);
          table.set(1025, null);
          table.set(1026, true);
          table.set(1027, false);
        }
      };
      return {
        __proto__: null,
        "./neon_gitops_bg.js": import0
      };
    }
    function wasm_bindgen__convert__closures_____invoke__hd700f03244818ddc(arg0, arg1) {
      wasm2.wasm_bindgen__convert__closures_____invoke__hd700f03244818ddc(arg0, arg1);
    }
    function wasm_bindgen__convert__closures_____invoke__h5e84aab8614c9381(arg0, arg1, arg2) {
      const ret = wasm2.wasm_bindgen__convert__closures_____invoke__h5e84aab8614c9381(arg0, arg1, arg2);
      if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
      }
    }
    function wasm_bindgen__convert__closures_____invoke__hb7bae8d1ceda1975(arg0, arg1, arg2, arg3) {
      wasm2.wasm_bindgen__convert__closures_____invoke__hb7bae8d1ceda1975(arg0, arg1, arg2, arg3);
    }
    var __wbindgen_enum_RequestCache = ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"];
    var __wbindgen_enum_RequestCredentials = ["omit", "same-origin", "include"];
    var __wbindgen_enum_RequestMode = ["same-origin", "no-cors", "cors", "navigate"];
    function addToExternrefTable0(obj) {
      const idx = wasm2.__externref_table_alloc();
      wasm2.__wbindgen_externrefs.set(idx, obj);
      return idx;
    }
    var CLOSURE_DTORS = typeof FinalizationRegistry === "undefined" ? { register: () => {
    }, unregister: () => {
    } } : new FinalizationRegistry((state) => wasm2.__wbindgen_destroy_closure(state.a, state.b));
    function debugString(val) {
      switch (typeof val) {
        // primitive types
        case "number":
        case "boolean":
        case "undefined":
          return `${val}`;
        case "string":
          return JSON.stringify(val);
        case "bigint":
          return `${val}n`;
        case "symbol":
          return val.description !== void 0 ? `Symbol(${val.description})` : "Symbol";
        case "function":
          return typeof val.name === "string" && val.name !== "" ? `Function(${val.name})` : "Function";
        case "object": {
          if (val === null) {
            return "null";
          }
          if (Array.isArray(val)) {
            return "[" + Array.from(val, debugString).join(", ") + "]";
          }
          if (val instanceof Error) {
            return `${val.name}: ${val.message}
${val.stack}`;
          }
          const toStringOutput = toString.call(val);
          const className = /\[object ([^\]]+)\]/.exec(toStringOutput)?.[1];
          if (className === void 0) {
            return toStringOutput;
          }
          if (className === "Object") {
            try {
              return "Object(" + JSON.stringify(val) + ")";
            } catch (_) {
              return "Object";
            }
          }
          return className;
        }
      }
    }
    function getArrayU8FromWasm0(ptr, len) {
      ptr = ptr >>> 0;
      return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
    }
    var cachedDataViewMemory0 = null;
    function getDataViewMemory0() {
      if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || cachedDataViewMemory0.buffer.detached === void 0 && cachedDataViewMemory0.buffer !== wasm2.memory.buffer) {
        cachedDataViewMemory0 = new DataView(wasm2.memory.buffer);
      }
      return cachedDataViewMemory0;
    }
    function getStringFromWasm0(ptr, len) {
      ptr = ptr >>> 0;
      return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
    }
    var cachedUint8ArrayMemory0 = null;
    function getUint8ArrayMemory0() {
      if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm2.memory.buffer);
      }
      return cachedUint8ArrayMemory0;
    }
    function handleError(f, args) {
      try {
        return f.apply(this, args);
      } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm2.__wbindgen_exn_store(idx);
      }
    }
    function isLikeNone(x) {
      return x === void 0 || x === null;
    }
    function makeMutClosure(arg0, arg1, f) {
      const state = { a: arg0, b: arg1, cnt: 1 };
      const real = (...args) => {
        state.cnt++;
        const a = state.a;
        state.a = 0;
        try {
          return f(a, state.b, ...args);
        } finally {
          state.a = a;
          real._wbg_cb_unref();
        }
      };
      real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
          wasm2.__wbindgen_destroy_closure(state.a, state.b);
          state.a = 0;
          CLOSURE_DTORS.unregister(state);
        }
      };
      CLOSURE_DTORS.register(real, state, state);
      return real;
    }
    function passArray8ToWasm0(arg, malloc) {
      const ptr = malloc(arg.length * 1, 1) >>> 0;
      getUint8ArrayMemory0().set(arg, ptr / 1);
      WASM_VECTOR_LEN = arg.length;
      return ptr;
    }
    function passStringToWasm0(arg, malloc, realloc) {
      if (realloc === void 0) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr2 = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr2, ptr2 + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr2;
      }
      let len = arg.length;
      let ptr = malloc(len, 1) >>> 0;
      const mem = getUint8ArrayMemory0();
      let offset = 0;
      for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 127) break;
        mem[ptr + offset] = code;
      }
      if (offset !== len) {
        if (offset !== 0) {
          arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);
        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
      }
      WASM_VECTOR_LEN = offset;
      return ptr;
    }
    function takeFromExternrefTable0(idx) {
      const value = wasm2.__wbindgen_externrefs.get(idx);
      wasm2.__externref_table_dealloc(idx);
      return value;
    }
    var cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
    cachedTextDecoder.decode();
    function decodeText(bytes) {
      return cachedTextDecoder.decode(bytes);
    }
    var cachedTextEncoder = new TextEncoder();
    if (!("encodeInto" in cachedTextEncoder)) {
      cachedTextEncoder.encodeInto = function(arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
          read: arg.length,
          written: buf.length
        };
      };
    }
    var WASM_VECTOR_LEN = 0;
    var wasmPath = `${__dirname}/neon_gitops_bg.wasm.br`;
    var wasmBytes = require("zlib").brotliDecompressSync(require("fs").readFileSync(wasmPath));
    var wasmModule = new WebAssembly.Module(wasmBytes);
    var wasmInstance = new WebAssembly.Instance(wasmModule, __wbg_get_imports());
    var wasm2 = wasmInstance.exports;
    wasm2.__wbindgen_start();
  }
});

// js/index.js
var index_exports = {};
__export(index_exports, {
  analyze: () => import_neon_gitops.analyze,
  post: () => post
});
module.exports = __toCommonJS(index_exports);

// node_modules/@actions/core/lib/command.js
var os = __toESM(require("os"), 1);

// node_modules/@actions/core/lib/utils.js
function toCommandValue(input) {
  if (input === null || input === void 0) {
    return "";
  } else if (typeof input === "string" || input instanceof String) {
    return input;
  }
  return JSON.stringify(input);
}
function toCommandProperties(annotationProperties) {
  if (!Object.keys(annotationProperties).length) {
    return {};
  }
  return {
    title: annotationProperties.title,
    file: annotationProperties.file,
    line: annotationProperties.startLine,
    endLine: annotationProperties.endLine,
    col: annotationProperties.startColumn,
    endColumn: annotationProperties.endColumn
  };
}

// node_modules/@actions/core/lib/command.js
function issueCommand(command, properties, message) {
  const cmd = new Command(command, properties, message);
  process.stdout.write(cmd.toString() + os.EOL);
}
function issue(name, message = "") {
  issueCommand(name, {}, message);
}
var CMD_STRING = "::";
var Command = class {
  constructor(command, properties, message) {
    if (!command) {
      command = "missing.command";
    }
    this.command = command;
    this.properties = properties;
    this.message = message;
  }
  toString() {
    let cmdStr = CMD_STRING + this.command;
    if (this.properties && Object.keys(this.properties).length > 0) {
      cmdStr += " ";
      let first = true;
      for (const key in this.properties) {
        if (this.properties.hasOwnProperty(key)) {
          const val = this.properties[key];
          if (val) {
            if (first) {
              first = false;
            } else {
              cmdStr += ",";
            }
            cmdStr += `${key}=${escapeProperty(val)}`;
          }
        }
      }
    }
    cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
    return cmdStr;
  }
};
function escapeData(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s) {
  return toCommandValue(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// node_modules/@actions/core/lib/file-command.js
var crypto = __toESM(require("crypto"), 1);
var fs = __toESM(require("fs"), 1);
var os2 = __toESM(require("os"), 1);
function issueFileCommand(command, message) {
  const filePath = process.env[`GITHUB_${command}`];
  if (!filePath) {
    throw new Error(`Unable to find environment variable for file command ${command}`);
  }
  if (!fs.existsSync(filePath)) {
    throw new Error(`Missing file at path: ${filePath}`);
  }
  fs.appendFileSync(filePath, `${toCommandValue(message)}${os2.EOL}`, {
    encoding: "utf8"
  });
}
function prepareKeyValueMessage(key, value) {
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  const convertedValue = toCommandValue(value);
  if (key.includes(delimiter)) {
    throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  }
  if (convertedValue.includes(delimiter)) {
    throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  }
  return `${key}<<${delimiter}${os2.EOL}${convertedValue}${os2.EOL}${delimiter}`;
}

// node_modules/@actions/core/lib/core.js
var os4 = __toESM(require("os"), 1);

// node_modules/@actions/core/lib/oidc-utils.js
var import_http_client = __toESM(require_http_client(), 1);
var import_auth = __toESM(require_auth(), 1);

// node_modules/@actions/core/lib/summary.js
var import_os = require("os");
var import_fs = require("fs");
var __awaiter = function(thisArg, _arguments, P, generator) {
  function adopt(value) {
    return value instanceof P ? value : new P(function(resolve) {
      resolve(value);
    });
  }
  return new (P || (P = Promise))(function(resolve, reject) {
    function fulfilled(value) {
      try {
        step(generator.next(value));
      } catch (e) {
        reject(e);
      }
    }
    function rejected(value) {
      try {
        step(generator["throw"](value));
      } catch (e) {
        reject(e);
      }
    }
    function step(result) {
      result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
    }
    step((generator = generator.apply(thisArg, _arguments || [])).next());
  });
};
var { access, appendFile, writeFile } = import_fs.promises;
var SUMMARY_ENV_VAR = "GITHUB_STEP_SUMMARY";
var Summary = class {
  constructor() {
    this._buffer = "";
  }
  /**
   * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
   * Also checks r/w permissions.
   *
   * @returns step summary file path
   */
  filePath() {
    return __awaiter(this, void 0, void 0, function* () {
      if (this._filePath) {
        return this._filePath;
      }
      const pathFromEnv = process.env[SUMMARY_ENV_VAR];
      if (!pathFromEnv) {
        throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
      }
      try {
        yield access(pathFromEnv, import_fs.constants.R_OK | import_fs.constants.W_OK);
      } catch (_a) {
        throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
      }
      this._filePath = pathFromEnv;
      return this._filePath;
    });
  }
  /**
   * Wraps content in an HTML tag, adding any HTML attributes
   *
   * @param {string} tag HTML tag to wrap
   * @param {string | null} content content within the tag
   * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
   *
   * @returns {string} content wrapped in HTML element
   */
  wrap(tag, content, attrs = {}) {
    const htmlAttrs = Object.entries(attrs).map(([key, value]) => ` ${key}="${value}"`).join("");
    if (!content) {
      return `<${tag}${htmlAttrs}>`;
    }
    return `<${tag}${htmlAttrs}>${content}</${tag}>`;
  }
  /**
   * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
   *
   * @param {SummaryWriteOptions} [options] (optional) options for write operation
   *
   * @returns {Promise<Summary>} summary instance
   */
  write(options) {
    return __awaiter(this, void 0, void 0, function* () {
      const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
      const filePath = yield this.filePath();
      const writeFunc = overwrite ? writeFile : appendFile;
      yield writeFunc(filePath, this._buffer, { encoding: "utf8" });
      return this.emptyBuffer();
    });
  }
  /**
   * Clears the summary buffer and wipes the summary file
   *
   * @returns {Summary} summary instance
   */
  clear() {
    return __awaiter(this, void 0, void 0, function* () {
      return this.emptyBuffer().write({ overwrite: true });
    });
  }
  /**
   * Returns the current summary buffer as a string
   *
   * @returns {string} string of summary buffer
   */
  stringify() {
    return this._buffer;
  }
  /**
   * If the summary buffer is empty
   *
   * @returns {boolen} true if the buffer is empty
   */
  isEmptyBuffer() {
    return this._buffer.length === 0;
  }
  /**
   * Resets the summary buffer without writing to summary file
   *
   * @returns {Summary} summary instance
   */
  emptyBuffer() {
    this._buffer = "";
    return this;
  }
  /**
   * Adds raw text to the summary buffer
   *
   * @param {string} text content to add
   * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
   *
   * @returns {Summary} summary instance
   */
  addRaw(text, addEOL = false) {
    this._buffer += text;
    return addEOL ? this.addEOL() : this;
  }
  /**
   * Adds the operating system-specific end-of-line marker to the buffer
   *
   * @returns {Summary} summary instance
   */
  addEOL() {
    return this.addRaw(import_os.EOL);
  }
  /**
   * Adds an HTML codeblock to the summary buffer
   *
   * @param {string} code content to render within fenced code block
   * @param {string} lang (optional) language to syntax highlight code
   *
   * @returns {Summary} summary instance
   */
  addCodeBlock(code, lang) {
    const attrs = Object.assign({}, lang && { lang });
    const element = this.wrap("pre", this.wrap("code", code), attrs);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML list to the summary buffer
   *
   * @param {string[]} items list of items to render
   * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
   *
   * @returns {Summary} summary instance
   */
  addList(items, ordered = false) {
    const tag = ordered ? "ol" : "ul";
    const listItems = items.map((item) => this.wrap("li", item)).join("");
    const element = this.wrap(tag, listItems);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML table to the summary buffer
   *
   * @param {SummaryTableCell[]} rows table rows
   *
   * @returns {Summary} summary instance
   */
  addTable(rows) {
    const tableBody = rows.map((row) => {
      const cells = row.map((cell) => {
        if (typeof cell === "string") {
          return this.wrap("td", cell);
        }
        const { header, data, colspan, rowspan } = cell;
        const tag = header ? "th" : "td";
        const attrs = Object.assign(Object.assign({}, colspan && { colspan }), rowspan && { rowspan });
        return this.wrap(tag, data, attrs);
      }).join("");
      return this.wrap("tr", cells);
    }).join("");
    const element = this.wrap("table", tableBody);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds a collapsable HTML details element to the summary buffer
   *
   * @param {string} label text for the closed state
   * @param {string} content collapsable content
   *
   * @returns {Summary} summary instance
   */
  addDetails(label, content) {
    const element = this.wrap("details", this.wrap("summary", label) + content);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML image tag to the summary buffer
   *
   * @param {string} src path to the image you to embed
   * @param {string} alt text description of the image
   * @param {SummaryImageOptions} options (optional) addition image attributes
   *
   * @returns {Summary} summary instance
   */
  addImage(src, alt, options) {
    const { width, height } = options || {};
    const attrs = Object.assign(Object.assign({}, width && { width }), height && { height });
    const element = this.wrap("img", null, Object.assign({ src, alt }, attrs));
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML section heading element
   *
   * @param {string} text heading text
   * @param {number | string} [level=1] (optional) the heading level, default: 1
   *
   * @returns {Summary} summary instance
   */
  addHeading(text, level) {
    const tag = `h${level}`;
    const allowedTag = ["h1", "h2", "h3", "h4", "h5", "h6"].includes(tag) ? tag : "h1";
    const element = this.wrap(allowedTag, text);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML thematic break (<hr>) to the summary buffer
   *
   * @returns {Summary} summary instance
   */
  addSeparator() {
    const element = this.wrap("hr", null);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML line break (<br>) to the summary buffer
   *
   * @returns {Summary} summary instance
   */
  addBreak() {
    const element = this.wrap("br", null);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML blockquote to the summary buffer
   *
   * @param {string} text quote text
   * @param {string} cite (optional) citation url
   *
   * @returns {Summary} summary instance
   */
  addQuote(text, cite) {
    const attrs = Object.assign({}, cite && { cite });
    const element = this.wrap("blockquote", text, attrs);
    return this.addRaw(element).addEOL();
  }
  /**
   * Adds an HTML anchor tag to the summary buffer
   *
   * @param {string} text link text/content
   * @param {string} href hyperlink
   *
   * @returns {Summary} summary instance
   */
  addLink(text, href) {
    const element = this.wrap("a", text, { href });
    return this.addRaw(element).addEOL();
  }
};
var _summary = new Summary();

// node_modules/@actions/core/lib/platform.js
var import_os2 = __toESM(require("os"), 1);

// node_modules/@actions/io/lib/io-util.js
var fs2 = __toESM(require("fs"), 1);
var { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, symlink, unlink } = fs2.promises;
var IS_WINDOWS = process.platform === "win32";
var READONLY = fs2.constants.O_RDONLY;

// node_modules/@actions/exec/lib/toolrunner.js
var IS_WINDOWS2 = process.platform === "win32";

// node_modules/@actions/core/lib/platform.js
var platform = import_os2.default.platform();
var arch = import_os2.default.arch();

// node_modules/@actions/core/lib/core.js
var ExitCode;
(function(ExitCode2) {
  ExitCode2[ExitCode2["Success"] = 0] = "Success";
  ExitCode2[ExitCode2["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
function setSecret(secret) {
  issueCommand("add-mask", {}, secret);
}
function getInput(name, options) {
  const val = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "";
  if (options && options.required && !val) {
    throw new Error(`Input required and not supplied: ${name}`);
  }
  if (options && options.trimWhitespace === false) {
    return val;
  }
  return val.trim();
}
function setOutput(name, value) {
  const filePath = process.env["GITHUB_OUTPUT"] || "";
  if (filePath) {
    return issueFileCommand("OUTPUT", prepareKeyValueMessage(name, value));
  }
  process.stdout.write(os4.EOL);
  issueCommand("set-output", { name }, toCommandValue(value));
}
function setFailed(message) {
  process.exitCode = ExitCode.Failure;
  error(message);
}
function debug(message) {
  issueCommand("debug", {}, message);
}
function error(message, properties = {}) {
  issueCommand("error", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function warning(message, properties = {}) {
  issueCommand("warning", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function notice(message, properties = {}) {
  issueCommand("notice", toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
function info(message) {
  process.stdout.write(message + os4.EOL);
}
function startGroup(name) {
  issue("group", name);
}
function endGroup() {
  issue("endgroup");
}
function saveState(name, value) {
  const filePath = process.env["GITHUB_STATE"] || "";
  if (filePath) {
    return issueFileCommand("STATE", prepareKeyValueMessage(name, value));
  }
  issueCommand("save-state", { name }, toCommandValue(value));
}
function getState(name) {
  return process.env[`STATE_${name}`] || "";
}

// js/host.js
var import_node_child_process = require("node:child_process");
var import_node_fs = __toESM(require("node:fs"));
var import_node_path = __toESM(require("node:path"));
function walk(root) {
  const entries = [];
  const visit = (dir, rel) => {
    for (const dirent of import_node_fs.default.readdirSync(dir, { withFileTypes: true })) {
      const full = import_node_path.default.join(dir, dirent.name);
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name;
      const stat2 = import_node_fs.default.lstatSync(full);
      if (stat2.isSymbolicLink()) {
        let target = null;
        try {
          target = import_node_fs.default.realpathSync(full);
        } catch {
        }
        entries.push({ path: relPath, kind: "symlink", size: 0, target });
      } else if (stat2.isDirectory()) {
        entries.push({ path: relPath, kind: "dir", size: 0, target: null });
        visit(full, relPath);
      } else if (stat2.isFile()) {
        entries.push({ path: relPath, kind: "file", size: stat2.size, target: null });
      }
    }
  };
  visit(root, "");
  return JSON.stringify(entries);
}
function envFor(command) {
  const env = { ...process.env };
  for (const key of command.env_remove || []) delete env[key];
  for (const [key, value] of command.env) env[key] = value;
  return env;
}
function run(commandJson) {
  const command = JSON.parse(commandJson);
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const settle = (fn, value) => {
      if (!settled) {
        settled = true;
        fn(value);
      }
    };
    if (command.stream) process.stdout.write(`[command]${[command.program, ...command.args].join(" ")}
`);
    const child = (0, import_node_child_process.spawn)(command.program, command.args, {
      env: envFor(command),
      cwd: command.cwd || void 0,
      stdio: [command.stdin == null ? "ignore" : "pipe", "pipe", "pipe"]
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout += d;
      if (command.stream) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      if (command.stream) process.stderr.write(d);
    });
    child.on("error", (e) => settle(reject, e.message));
    child.on("exit", () => setTimeout(() => settle(resolve, JSON.stringify({ code: child.exitCode, stdout, stderr })), 1e4).unref());
    child.on("close", (code) => settle(resolve, JSON.stringify({ code, stdout, stderr })));
    if (command.stdin != null) {
      child.stdin.on("error", () => {
      });
      child.stdin.end(command.stdin);
    }
  });
}
var pipelines = /* @__PURE__ */ new Map();
var nextHandle = 1;
var OUTPUT_LIMIT = 4 * 1024 * 1024;
var keep = (text, data) => (text + data).slice(-OUTPUT_LIMIT);
var signalsHooked = false;
function killAll() {
  for (const p of pipelines.values()) for (const c of p.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
}
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}
function spawnPipeline(pipelineJson) {
  hookSignals();
  const commands = JSON.parse(pipelineJson);
  const p = { children: [], codes: commands.map(() => null), stdout: "", stderr: commands.map(() => ""), left: commands.length, waiters: [] };
  let previous = null;
  commands.forEach((command, i) => {
    const env = envFor(command);
    const stdin = previous || (command.stdin == null ? "ignore" : "pipe");
    const child = (0, import_node_child_process.spawn)(command.program, command.args, { env, cwd: command.cwd || void 0, stdio: [stdin, "pipe", "pipe"] });
    if (previous) previous.destroy();
    child.on("error", (e) => {
      p.stderr[i] = keep(p.stderr[i], `${e.message}
`);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      p.stderr[i] = keep(p.stderr[i], d);
    });
    if (i === commands.length - 1) {
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d) => {
        p.stdout = keep(p.stdout, d);
      });
    }
    if (i === 0 && command.stdin != null) {
      child.stdin.on("error", () => {
      });
      child.stdin.write(command.stdin);
      if (!command.hold_stdin) child.stdin.end();
    }
    child.on("close", (code) => {
      p.codes[i] = code;
      if (--p.left === 0) for (const w of p.waiters.splice(0)) w();
    });
    previous = i < commands.length - 1 ? child.stdout : null;
    p.children.push(child);
  });
  const handle = nextHandle++;
  pipelines.set(handle, p);
  return handle;
}
function statusOf(p) {
  return JSON.stringify({ done: p.left === 0, codes: p.codes, stdout: p.stdout, stderr: p.stderr });
}
function waitPipeline(handle, timeoutMs) {
  const p = pipelines.get(handle);
  if (!p) return Promise.resolve(JSON.stringify({ done: true, codes: [null], stdout: "", stderr: ["unknown process handle"] }));
  if (p.left === 0) return Promise.resolve(statusOf(p));
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(statusOf(p));
    };
    const timer = setTimeout(() => {
      p.waiters = p.waiters.filter((w) => w !== done);
      resolve(statusOf(p));
    }, Math.min(timeoutMs, 2147483647));
    p.waiters.push(done);
  });
}
function killPipeline(handle) {
  const p = pipelines.get(handle);
  if (p) {
    for (const c of p.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  }
}
var log = {
  debug: (m) => debug(m),
  info: (m) => info(m),
  notice: (m) => notice(m),
  warning: (m) => warning(m),
  error: (m) => error(m)
};
var annotate = {
  notice,
  warning,
  error
};
function toProperties(a) {
  return {
    title: a.title ?? void 0,
    file: a.file ?? void 0,
    startLine: a.line ?? void 0,
    startColumn: a.col ?? void 0,
    endLine: a.end_line ?? void 0,
    endColumn: a.end_col ?? void 0
  };
}
function createHost() {
  return {
    input: (name) => getInput(name),
    env: (name) => process.env[name],
    setOutput: (name, value) => setOutput(name, value),
    mask: (secret) => setSecret(secret),
    log: (level, message) => (log[level] || log.info)(message),
    annotate: (level, json) => {
      const a = JSON.parse(json);
      (annotate[level] || notice)(a.message, toProperties(a));
    },
    startGroup: (name) => startGroup(name),
    endGroup: () => endGroup(),
    appendSummary: (markdown) => import_node_fs.default.appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown),
    saveState: (name, value) => saveState(name, value),
    state: (name) => getState(name),
    readFile: (p) => import_node_fs.default.readFileSync(p),
    writeFile: (p, bytes) => import_node_fs.default.writeFileSync(p, bytes, { mode: 384 }),
    removeFile: (p) => import_node_fs.default.rmSync(p, { force: true }),
    walk,
    nowMs: () => Date.now(),
    random: () => Math.random(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    run,
    spawn: spawnPipeline,
    wait: waitPipeline,
    kill: killPipeline
  };
}

// js/main.js
var wasm = __toESM(require_neon_gitops());
async function main(entry) {
  try {
    await wasm[entry](createHost());
  } catch (error2) {
    let message = error2;
    if (typeof error2 !== "string") {
      let panic = null;
      try {
        panic = wasm.last_panic();
      } catch {
      }
      message = `internal error in neon-gitops (${panic || error2 && error2.message || error2}); please report it with this log`;
    }
    setFailed(message);
  }
}

// js/index.js
var import_neon_gitops = __toESM(require_neon_gitops());
var post = () => main("post");
if (typeof require !== "undefined" && require.main === module) main("run");
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  analyze,
  post
});
