/*
 * Test double of fwpuclnt.dll for running @wsasec/native-win under Wine (whose fwpuclnt only has
 * stubs that abort the process). Placed next to node.exe, it is what the production
 * koffi.load('fwpuclnt.dll') finds. It exports the six secure socket functions with their real
 * signatures, and control functions the tests call through koffi:
 *  - every call is recorded with a copy of its buffer argument and the socket's state at the time;
 *  - errors can be injected per function (WSASetLastError + SOCKET_ERROR);
 *  - the query size probe is emulated (WSAEMSGSIZE or WSAEFAULT with the needed length);
 *  - token handles are real: duplicates of the process token (Wine supports them), so the
 *    backend's GetTokenInformation / LookupAccountSidW / CloseHandle paths run for real.
 * It implements no IPsec: it cannot tell whether anything would be protected.
 */
#include <winsock2.h>
#include <ws2ipdef.h>
#include <windows.h>
#include <fwpmu.h>
#include <stdio.h>
#include <string.h>

#define WSASEC_API __declspec(dllexport) int WINAPI

enum {
  F_SET_SECURITY = 1, F_SET_TARGET, F_DELETE_TARGET, F_QUERY, F_IMPERSONATE, F_REVERT,
  F_ENGINE_OPEN, F_ENGINE_CLOSE, F_TXN_BEGIN, F_TXN_COMMIT, F_TXN_ABORT, F_CONTEXT_ADD, F_CONTEXT_DELETE,
  F_SA_GET, F_FREE_MEMORY,
  F_QM_GET, F_QM_ENUM_CREATE, F_QM_ENUM, F_QM_ENUM_DESTROY,
  F_COUNT
};

#define MAX_RECORDS 512
#define MAX_BYTES 1024
#define MAX_TOKENS 256

typedef struct {
  int fn;
  long long sock;
  unsigned len;
  int flags; /* 1: buffer NULL, 2: socket bound, 4: socket connected, 8: info NULL */
  unsigned info_len;
  unsigned data_len;
  unsigned char data[MAX_BYTES];
  char summary[256];
} record_t;

static record_t records[MAX_RECORDS];
static int record_count;
static int fail_err[F_COUNT];
static int fail_times[F_COUNT];
static unsigned query_flags = 3;
static int probe_error = WSAEMSGSIZE;
static int tokens_enabled = 1;
static int always_ipsec2 = 0;
static HANDLE issued[MAX_TOKENS];
static LUID issued_id[MAX_TOKENS];
static int issued_count;

static int sock_state(SOCKET s) {
  struct sockaddr_storage a;
  int len = sizeof a;
  int flags = 0;
  memset(&a, 0, sizeof a);
  if (getsockname(s, (struct sockaddr *)&a, &len) == 0 && ((struct sockaddr_in *)&a)->sin_port != 0) flags |= 2;
  len = sizeof a;
  if (getpeername(s, (struct sockaddr *)&a, &len) == 0) flags |= 4;
  return flags;
}

static record_t *record(int fn, SOCKET s, const void *buf, unsigned len) {
  record_t *r;
  if (record_count >= MAX_RECORDS) return NULL;
  r = &records[record_count++];
  memset(r, 0, sizeof *r);
  r->fn = fn;
  r->sock = (long long)s;
  r->len = len;
  if (!buf) r->flags |= 1;
  if (fn != F_REVERT) r->flags |= sock_state(s);
  if (buf) {
    r->data_len = len < MAX_BYTES ? len : MAX_BYTES;
    memcpy(r->data, buf, r->data_len);
  }
  return r;
}

static int fail(int fn) {
  if (fail_times[fn] <= 0) return 0;
  fail_times[fn]--;
  WSASetLastError(fail_err[fn]);
  return 1;
}

static int is_socket(SOCKET s) {
  int type = 0;
  int len = sizeof type;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0) return 1;
  WSASetLastError(WSAENOTSOCK);
  return 0;
}

static unsigned long long issue_token(ULONG access) {
  HANDLE process = NULL, dup = NULL;
  TOKEN_STATISTICS stats;
  DWORD len = 0;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY, &process)) return 0;
  if (!DuplicateTokenEx(process, access, NULL, SecurityImpersonation, TokenImpersonation, &dup)) dup = NULL;
  CloseHandle(process);
  if (dup && issued_count < MAX_TOKENS) {
    issued[issued_count] = dup;
    memset(&issued_id[issued_count], 0, sizeof(LUID));
    if (GetTokenInformation(dup, TokenStatistics, &stats, sizeof stats, &len)) issued_id[issued_count] = stats.TokenId;
    issued_count++;
  }
  return (unsigned long long)(ULONG_PTR)dup;
}

WSASEC_API WSASetSocketSecurity(SOCKET s, const void *settings, ULONG len, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE r) {
  (void)o; (void)r;
  record(F_SET_SECURITY, s, settings, len);
  if (!is_socket(s) || fail(F_SET_SECURITY)) return SOCKET_ERROR;
  if (settings && len < 8) { WSASetLastError(WSAEMSGSIZE); return SOCKET_ERROR; }
  return 0;
}

WSASEC_API WSASetSocketPeerTargetName(SOCKET s, const void *name, ULONG len, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE r) {
  (void)o; (void)r;
  record(F_SET_TARGET, s, name, len);
  if (!is_socket(s) || fail(F_SET_TARGET)) return SOCKET_ERROR;
  if (!name) { WSASetLastError(WSAEFAULT); return SOCKET_ERROR; }
  if (len < 140) { WSASetLastError(WSAEMSGSIZE); return SOCKET_ERROR; }
  return 0;
}

WSASEC_API WSADeleteSocketPeerTargetName(SOCKET s, const struct sockaddr *addr, ULONG len, LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE r) {
  (void)o; (void)r;
  record(F_DELETE_TARGET, s, addr, len);
  if (!is_socket(s) || fail(F_DELETE_TARGET)) return SOCKET_ERROR;
  if (!addr) { WSASetLastError(WSAEFAULT); return SOCKET_ERROR; }
  return 0;
}

/*
 * Connections the double saw queried (its "secured sockets"): the quick-mode SA functions answer
 * one SA context per connection, with the SA ids the query reports (MmSaId 0x1122334455667788,
 * QmSaId 42) and the connection's addresses and peer port.
 */
#define MAX_CONNS 64
typedef struct {
  int v6;
  UINT32 local4, remote4; /* host order, as FWP keeps IPv4 addresses */
  UINT8 local6[16], remote6[16];
  UINT16 remote_port;
} conn_t;
static conn_t conns[MAX_CONNS];
static int conn_count;
static void qm_reset(void);

static void remember_connection(SOCKET s) {
  struct sockaddr_storage l, r;
  int ll = sizeof l, rl = sizeof r, i;
  conn_t c;
  memset(&l, 0, sizeof l);
  memset(&r, 0, sizeof r);
  memset(&c, 0, sizeof c);
  if (getsockname(s, (struct sockaddr *)&l, &ll) != 0 || getpeername(s, (struct sockaddr *)&r, &rl) != 0) return;
  if (l.ss_family == AF_INET && r.ss_family == AF_INET) {
    c.local4 = ntohl(((struct sockaddr_in *)&l)->sin_addr.s_addr);
    c.remote4 = ntohl(((struct sockaddr_in *)&r)->sin_addr.s_addr);
    c.remote_port = ntohs(((struct sockaddr_in *)&r)->sin_port);
  } else if (l.ss_family == AF_INET6 && r.ss_family == AF_INET6) {
    c.v6 = 1;
    memcpy(c.local6, &((struct sockaddr_in6 *)&l)->sin6_addr, 16);
    memcpy(c.remote6, &((struct sockaddr_in6 *)&r)->sin6_addr, 16);
    c.remote_port = ntohs(((struct sockaddr_in6 *)&r)->sin6_port);
  } else {
    return;
  }
  for (i = 0; i < conn_count; i++) if (memcmp(&conns[i], &c, sizeof c) == 0) return;
  /* Full: the oldest connection is forgotten (a long suite never resets the double). */
  if (conn_count == MAX_CONNS) memmove(conns, conns + 1, --conn_count * sizeof *conns);
  conns[conn_count++] = c;
}

WSASEC_API WSAQuerySocketSecurity(SOCKET s, const void *tmpl, ULONG tmpl_len, void *info, ULONG *info_len,
                                  LPWSAOVERLAPPED o, LPWSAOVERLAPPED_COMPLETION_ROUTINE r) {
  unsigned needed;
  int protocol = 0;
  ULONG access = 0;
  unsigned char *out = (unsigned char *)info;
  unsigned long long h;
  static const unsigned char lookup[16] = {0x40, 0xfc, 0x29, 0x6b, 0x47, 0xca, 0x67, 0x10,
                                           0xb3, 0x1d, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};
  record_t *rec;
  (void)o; (void)r;
  rec = record(F_QUERY, s, tmpl, tmpl_len);
  if (rec) {
    if (!info) rec->flags |= 8;
    rec->info_len = info_len ? *info_len : 0xffffffffu;
  }
  if (!is_socket(s) || fail(F_QUERY)) return SOCKET_ERROR;
  if (!info_len) { WSASetLastError(WSAEFAULT); return SOCKET_ERROR; }
  remember_connection(s);
  if (tmpl && tmpl_len >= 4) memcpy(&protocol, tmpl, 4);
  if (tmpl && tmpl_len >= 140) memcpy(&access, (const unsigned char *)tmpl + 136, 4);
  needed = (always_ipsec2 || protocol == 2 || (tmpl && tmpl_len >= 152)) ? 64 : 24;
  if (!info || *info_len < needed) {
    *info_len = needed;
    WSASetLastError(probe_error);
    return SOCKET_ERROR;
  }
  memset(out, 0, needed);
  memcpy(out, &protocol, 4);
  memcpy(out + 4, &query_flags, 4);
  if (access && tokens_enabled && (query_flags & 1)) {
    h = issue_token(access);
    memcpy(out + 8, &h, 8);
    h = issue_token(access);
    memcpy(out + 16, &h, 8);
  }
  if (needed == 64) {
    unsigned long long mm = 0x1122334455667788ULL, qm = 42;
    memcpy(out + 24, &mm, 8);
    memcpy(out + 32, &qm, 8);
    memcpy(out + 44, lookup, 16);
  }
  *info_len = needed;
  return 0;
}

WSASEC_API WSAImpersonateSocketPeer(SOCKET s, const struct sockaddr *addr, ULONG len) {
  record(F_IMPERSONATE, s, addr, len);
  if (!is_socket(s) || fail(F_IMPERSONATE)) return SOCKET_ERROR;
  if (!ImpersonateSelf(SecurityImpersonation)) { WSASetLastError(WSASYSCALLFAILURE); return SOCKET_ERROR; }
  return 0;
}

WSASEC_API WSARevertImpersonation(void) {
  record(F_REVERT, 0, NULL, 0);
  if (fail(F_REVERT)) return SOCKET_ERROR;
  RevertToSelf();
  return 0;
}


/*
 * WFP management functions (the advanced sample's calls). Each call is recorded; a provider
 * context is recorded as the bytes from the structure to the end of the last thing it points to
 * (walked with the header's types, so a layout the headers disagree with reads the wrong
 * pointers), with the structure's address in `sock`, and a summary of its fields read through the
 * header's types. Keys are kept per transaction: abort restores them, so duplicate and missing
 * keys answer FWP_E_ALREADY_EXISTS / FWP_E_PROVIDER_CONTEXT_NOT_FOUND as WFP does.
 */
#define MAX_KEYS 64
static GUID keys[MAX_KEYS], saved_keys[MAX_KEYS];
static int key_count, saved_count, in_txn;
static UINT64 next_context_id = 1000;
static HANDLE next_engine = (HANDLE)0x5000;

static void wfp_reset(void) {
  key_count = saved_count = in_txn = 0;
  conn_count = 0;
  qm_reset();
  next_context_id = 1000;
}

static DWORD wfp_fail(int fn) {
  if (fail_times[fn] <= 0) return 0;
  fail_times[fn]--;
  return (DWORD)fail_err[fn];
}

static int find_key(const GUID *k) {
  int i;
  for (i = 0; i < key_count; i++) if (memcmp(&keys[i], k, sizeof *k) == 0) return i;
  return -1;
}

typedef struct { const unsigned char *base; size_t end; int outside; } span_t;

static void span(span_t *sp, const void *p, size_t n) {
  const unsigned char *q = (const unsigned char *)p;
  if (!q || n == 0) return;
  if (q < sp->base || q + n > sp->base + MAX_BYTES) { sp->outside = 1; return; }
  if ((size_t)(q - sp->base) + n > sp->end) sp->end = (size_t)(q - sp->base) + n;
}

static void ascii(char *out, size_t cap, const wchar_t *w) {
  size_t i = 0;
  if (!w) { snprintf(out, cap, "(null)"); return; }
  for (; w[i] && i + 1 < cap; i++) out[i] = w[i] < 128 ? (char)w[i] : '?';
  out[i] = 0;
}

static void walk_context(record_t *r, const FWPM_PROVIDER_CONTEXT0 *c) {
  span_t sp = {(const unsigned char *)c, sizeof *c, 0};
  char name[64];
  UINT32 i, j;
  if (c->displayData.name) span(&sp, c->displayData.name, (wcslen(c->displayData.name) + 1) * sizeof(wchar_t));
  ascii(name, sizeof name, c->displayData.name);
  if (c->type == FWPM_IPSEC_AUTHIP_MM_CONTEXT && c->authIpMmPolicy) {
    const IKEEXT_POLICY0 *p = c->authIpMmPolicy;
    span(&sp, p, sizeof *p);
    span(&sp, p->authenticationMethods, p->numAuthenticationMethods * sizeof *p->authenticationMethods);
    span(&sp, p->ikeProposals, p->numIkeProposals * sizeof *p->ikeProposals);
    snprintf(r->summary, sizeof r->summary,
             "mm name=%s flags=%u soft=%u methods=%u m0=%d imp=%d proposals=%u cipher=%d/%u/%u int=%d life=%u dh=%d qml=%u pflags=%u maxdyn=%u",
             name, c->flags, p->softExpirationTime, p->numAuthenticationMethods,
             p->numAuthenticationMethods ? (int)p->authenticationMethods[0].authenticationMethodType : -1,
             (int)p->initiatorImpersonationType, p->numIkeProposals,
             p->numIkeProposals ? (int)p->ikeProposals[0].cipherAlgorithm.algoIdentifier : -1,
             p->numIkeProposals ? p->ikeProposals[0].cipherAlgorithm.keyLen : 0,
             p->numIkeProposals ? p->ikeProposals[0].cipherAlgorithm.rounds : 0,
             p->numIkeProposals ? (int)p->ikeProposals[0].integrityAlgorithm.algoIdentifier : -1,
             p->numIkeProposals ? p->ikeProposals[0].maxLifetimeSeconds : 0,
             p->numIkeProposals ? (int)p->ikeProposals[0].dhGroup : -1,
             p->numIkeProposals ? p->ikeProposals[0].quickModeLimit : 0, p->flags, p->maxDynamicFilters);
  } else if (c->type == FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT && c->authipQmTransportPolicy) {
    const IPSEC_TRANSPORT_POLICY0 *p = c->authipQmTransportPolicy;
    char t[128] = "";
    span(&sp, p, sizeof *p);
    span(&sp, p->ipsecProposals, p->numIpsecProposals * sizeof *p->ipsecProposals);
    for (i = 0; i < p->numIpsecProposals; i++) {
      const IPSEC_PROPOSAL0 *q = &p->ipsecProposals[i];
      span(&sp, q->saTransforms, q->numSaTransforms * sizeof *q->saTransforms);
      for (j = 0; j < q->numSaTransforms; j++) {
        const IPSEC_SA_TRANSFORM0 *x = &q->saTransforms[j];
        if (x->ipsecTransformType == IPSEC_TRANSFORM_ESP_AUTH) {
          span(&sp, x->espAuthTransform, sizeof *x->espAuthTransform);
          if (i == 0 && j == 0 && x->espAuthTransform)
            snprintf(t, sizeof t, "esp-auth auth=%d/%u", (int)x->espAuthTransform->authTransformId.authType,
                     x->espAuthTransform->authTransformId.authConfig);
        } else if (x->ipsecTransformType == IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER) {
          const IPSEC_AUTH_AND_CIPHER_TRANSFORM0 *ac = x->espAuthAndCipherTransform;
          span(&sp, ac, sizeof *ac);
          if (i == 0 && j == 0 && ac)
            snprintf(t, sizeof t, "esp-auth-cipher auth=%d/%u cipher=%d/%u",
                     (int)ac->authTransform.authTransformId.authType, ac->authTransform.authTransformId.authConfig,
                     (int)ac->cipherTransform.cipherTransformId.cipherType,
                     ac->cipherTransform.cipherTransformId.cipherConfig);
        } else if (i == 0 && j == 0) {
          snprintf(t, sizeof t, "transform=%d", (int)x->ipsecTransformType);
        }
      }
    }
    snprintf(r->summary, sizeof r->summary,
             "qm name=%s flags=%u proposals=%u life=%u/%u/%u transforms=%u pfs=%d %s pflags=%u nd=%u idle=%u/%u em=%d",
             name, c->flags, p->numIpsecProposals,
             p->numIpsecProposals ? p->ipsecProposals[0].lifetime.lifetimeSeconds : 0,
             p->numIpsecProposals ? p->ipsecProposals[0].lifetime.lifetimeKilobytes : 0,
             p->numIpsecProposals ? p->ipsecProposals[0].lifetime.lifetimePackets : 0,
             p->numIpsecProposals ? p->ipsecProposals[0].numSaTransforms : 0,
             p->numIpsecProposals ? (int)p->ipsecProposals[0].pfsGroup : -1, t, p->flags,
             p->ndAllowClearTimeoutSeconds, p->saIdleTimeout.idleTimeoutSeconds,
             p->saIdleTimeout.idleTimeoutSecondsFailOver, p->emPolicy != NULL);
  } else {
    snprintf(r->summary, sizeof r->summary, "type=%d name=%s", (int)c->type, name);
  }
  if (sp.outside) r->flags |= 16;
  r->data_len = (unsigned)sp.end;
  memcpy(r->data, c, r->data_len);
}

__declspec(dllexport) DWORD WINAPI FwpmEngineOpen0(const wchar_t *server, UINT32 authn, SEC_WINNT_AUTH_IDENTITY_W *id,
                                                   const FWPM_SESSION0 *session, HANDLE *engine) {
  record_t *r = record(F_ENGINE_OPEN, 0, session, session ? sizeof *session : 0);
  char name[64];
  DWORD err;
  if (r) {
    r->sock = (long long)(ULONG_PTR)session;
    r->info_len = authn;
    ascii(name, sizeof name, session ? session->displayData.name : NULL);
    if (session)
      snprintf(r->summary, sizeof r->summary, "session name=%s flags=%u txnwait=%u server=%s identity=%s", name,
               session->flags, session->txnWaitTimeoutInMSec, server ? "set" : "null", id ? "set" : "null");
  }
  if ((err = wfp_fail(F_ENGINE_OPEN))) return err;
  if (!engine) return ERROR_INVALID_PARAMETER;
  *engine = next_engine;
  next_engine = (HANDLE)((ULONG_PTR)next_engine + 4);
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmEngineClose0(HANDLE engine) {
  DWORD err;
  record(F_ENGINE_CLOSE, (SOCKET)engine, NULL, 0);
  if ((err = wfp_fail(F_ENGINE_CLOSE))) return err;
  in_txn = 0;
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmTransactionBegin0(HANDLE engine, UINT32 flags) {
  DWORD err;
  record_t *r = record(F_TXN_BEGIN, (SOCKET)engine, NULL, flags);
  (void)r;
  if ((err = wfp_fail(F_TXN_BEGIN))) return err;
  if (in_txn) return FWP_E_TXN_IN_PROGRESS;
  memcpy(saved_keys, keys, sizeof keys);
  saved_count = key_count;
  in_txn = 1;
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmTransactionCommit0(HANDLE engine) {
  DWORD err;
  record(F_TXN_COMMIT, (SOCKET)engine, NULL, 0);
  if (!in_txn) return FWP_E_NO_TXN_IN_PROGRESS;
  if ((err = wfp_fail(F_TXN_COMMIT))) {
    /* A failed commit aborts the transaction, as WFP does. */
    memcpy(keys, saved_keys, sizeof keys);
    key_count = saved_count;
    in_txn = 0;
    return err;
  }
  in_txn = 0;
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmTransactionAbort0(HANDLE engine) {
  record(F_TXN_ABORT, (SOCKET)engine, NULL, 0);
  if (!in_txn) return FWP_E_NO_TXN_IN_PROGRESS;
  memcpy(keys, saved_keys, sizeof keys);
  key_count = saved_count;
  in_txn = 0;
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmProviderContextAdd0(HANDLE engine, const FWPM_PROVIDER_CONTEXT0 *ctx,
                                                           PSECURITY_DESCRIPTOR sd, UINT64 *id) {
  record_t *r = record(F_CONTEXT_ADD, (SOCKET)engine, NULL, 0);
  DWORD err;
  if (r && ctx) {
    r->flags &= ~1;
    r->sock = (long long)(ULONG_PTR)ctx;
    r->len = (unsigned)(ULONG_PTR)engine;
    if (sd) r->flags |= 32;
    walk_context(r, ctx);
  }
  if ((err = wfp_fail(F_CONTEXT_ADD))) return err;
  if (!ctx) return FWP_E_NULL_POINTER;
  if (!ctx->displayData.name) return FWP_E_NULL_DISPLAY_NAME;
  if (find_key(&ctx->providerContextKey) >= 0) return FWP_E_ALREADY_EXISTS;
  if (key_count >= MAX_KEYS) return ERROR_NOT_ENOUGH_MEMORY;
  keys[key_count++] = ctx->providerContextKey;
  if (id) *id = next_context_id++;
  return 0;
}

__declspec(dllexport) DWORD WINAPI FwpmProviderContextDeleteByKey0(HANDLE engine, const GUID *key) {
  record_t *r = record(F_CONTEXT_DELETE, (SOCKET)engine, key, key ? sizeof *key : 0);
  DWORD err;
  int i;
  if (r) r->len = (unsigned)(ULONG_PTR)engine;
  if ((err = wfp_fail(F_CONTEXT_DELETE))) return err;
  if (!key) return FWP_E_NULL_POINTER;
  if ((i = find_key(key)) < 0) return FWP_E_PROVIDER_CONTEXT_NOT_FOUND;
  keys[i] = keys[--key_count];
  return 0;
}

/*
 * IkeextSaGetById0 answers one scripted AuthIP main-mode SA for any non-zero id (FWP_E_NOT_FOUND
 * for 0), in memory from HeapAlloc that FwpmFreeMemory0 frees; the live count shows leaks.
 */
static int sa_live;

__declspec(dllexport) DWORD WINAPI IkeextSaGetById0(HANDLE engine, UINT64 id, IKEEXT_SA_DETAILS0 **sa) {
  record_t *r = record(F_SA_GET, (SOCKET)engine, NULL, 0);
  IKEEXT_SA_DETAILS0 *d;
  static const GUID policy = {0x3f2504e0, 0x4f89, 0x11d3, {0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01}};
  DWORD err;
  if (r) r->sock = (long long)id;
  if ((err = wfp_fail(F_SA_GET))) return err;
  if (!sa) return FWP_E_NULL_POINTER;
  if (id == 0) return FWP_E_NOT_FOUND;
  d = (IKEEXT_SA_DETAILS0 *)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *d);
  if (!d) return ERROR_NOT_ENOUGH_MEMORY;
  d->saId = id;
  d->keyModuleType = IKEEXT_KEY_MODULE_AUTHIP;
  d->ipVersion = FWP_IP_VERSION_V4;
  d->ikeTraffic.ipVersion = FWP_IP_VERSION_V4;
  d->ikeTraffic.localV4Address = 0x7f000001;
  d->ikeTraffic.remoteV4Address = 0x0a000002;
  d->ikeProposal.cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_AES_256;
  d->ikeProposal.integrityAlgorithm.algoIdentifier = IKEEXT_INTEGRITY_SHA_256;
  d->ikeProposal.maxLifetimeSeconds = 28800;
  d->ikeProposal.dhGroup = IKEEXT_DH_ECP_256;
  d->ikePolicyKey = policy;
  *sa = d;
  sa_live++;
  return 0;
}

/*
 * The quick-mode SA functions of MatchIPsecSAsForConnectedSocket. An enumeration selects the
 * known connections whose address pair equals the template's (FWP_UINT32 or FWP_BYTE_ARRAY16_TYPE
 * subnets, read through the header's types; the record keeps the template's 32 bytes, its address
 * in `sock`, and a summary). Each context is filled through the header's types: saContextId
 * 5000 + the connection's index, an outbound and an inbound SA of ESP AES-256-GCM, lifetime
 * 3600 s / 57671680 KB, idle 300 s, ND 10 s. The answer is one HeapAlloc block (the pointer array
 * and everything it points to) that one FwpmFreeMemory0 frees; sa_live counts blocks.
 */
#define MAX_ENUMS 16
typedef struct { HANDLE h; int open; int any; conn_t want; } qm_enum_t;
static qm_enum_t enums[MAX_ENUMS];
static int enum_count;
static HANDLE next_enum = (HANDLE)0x7000;

static void qm_reset(void) { enum_count = 0; }

#define QM_PER_CONTEXT \
  (sizeof(IPSEC_SA_CONTEXT0) + 2 * (sizeof(IPSEC_SA_DETAILS0) + sizeof(IPSEC_SA0) + sizeof(IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0)))

static void fill_details(IPSEC_SA_DETAILS0 *d, IPSEC_SA0 *sa, IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *ac,
                         const conn_t *c, FWP_DIRECTION dir, UINT32 spi) {
  d->ipVersion = c->v6 ? FWP_IP_VERSION_V6 : FWP_IP_VERSION_V4;
  d->saDirection = dir;
  d->traffic.ipVersion = d->ipVersion;
  if (c->v6) {
    memcpy(d->traffic.localV6Address, c->local6, 16);
    memcpy(d->traffic.remoteV6Address, c->remote6, 16);
  } else {
    d->traffic.localV4Address = c->local4;
    d->traffic.remoteV4Address = c->remote4;
  }
  d->traffic.trafficType = IPSEC_TRAFFIC_TYPE_TRANSPORT;
  d->traffic.ipsecFilterId = 0x51;
  d->traffic.remotePort = c->remote_port;
  d->saBundle.lifetime.lifetimeSeconds = 3600;
  d->saBundle.lifetime.lifetimeKilobytes = 57671680;
  d->saBundle.lifetime.lifetimePackets = 0x7fffffff;
  d->saBundle.idleTimeoutSeconds = 300;
  d->saBundle.ndAllowClearTimeoutSeconds = 10;
  d->saBundle.qmSaId = 42;
  d->saBundle.numSAs = 1;
  d->saBundle.saList = sa;
  d->saBundle.ipVersion = d->ipVersion;
  d->saBundle.mmSaId = 0x1122334455667788ULL;
  d->saBundle.pfsGroup = IPSEC_PFS_NONE;
  sa->spi = spi;
  sa->saTransformType = IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER;
  sa->espAuthAndCipherInformation = ac;
  ac->saCipherInformation.cipherTransform.cipherTransformId.cipherType = IPSEC_CIPHER_TYPE_AES_256;
  ac->saCipherInformation.cipherTransform.cipherTransformId.cipherConfig = 8; /* IPSEC_CIPHER_CONFIG_GCM_AES_256 */
  ac->saAuthInformation.authTransform.authTransformId.authType = IPSEC_AUTH_AES_256;
  ac->saAuthInformation.authTransform.authTransformId.authConfig = 5; /* IPSEC_AUTH_CONFIG_GCM_AES_256 */
}

/* Carves one context for connection `i` out of `mem`; returns the bytes used. */
static size_t fill_context(unsigned char *mem, int i) {
  IPSEC_SA_CONTEXT0 *ctx = (IPSEC_SA_CONTEXT0 *)mem;
  unsigned char *p = mem + sizeof *ctx;
  IPSEC_SA_DETAILS0 *out = (IPSEC_SA_DETAILS0 *)p, *in;
  IPSEC_SA0 *sa_out, *sa_in;
  IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *ac_out, *ac_in;
  p += sizeof *out;
  in = (IPSEC_SA_DETAILS0 *)p;
  p += sizeof *in;
  sa_out = (IPSEC_SA0 *)p;
  p += sizeof *sa_out;
  sa_in = (IPSEC_SA0 *)p;
  p += sizeof *sa_in;
  ac_out = (IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *)p;
  p += sizeof *ac_out;
  ac_in = (IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *)p;
  p += sizeof *ac_in;
  ctx->saContextId = 5000 + (UINT64)i;
  ctx->outboundSa = out;
  ctx->inboundSa = in;
  fill_details(out, sa_out, ac_out, &conns[i], FWP_DIRECTION_OUTBOUND, 0x1000 + (UINT32)i);
  fill_details(in, sa_in, ac_in, &conns[i], FWP_DIRECTION_INBOUND, 0x2000 + (UINT32)i);
  return (size_t)(p - mem);
}

static void hex16(char *out, const UINT8 *b) {
  int i;
  for (i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Reads one FWP_CONDITION_VALUE0 subnet into `c` (local or remote); 0 if not an address. */
static int read_subnet(const FWP_CONDITION_VALUE0 *v, conn_t *c, int remote, char *text, size_t cap) {
  if (v->type == FWP_UINT32) {
    if (remote) c->remote4 = v->uint32; else c->local4 = v->uint32;
    snprintf(text, cap, "%u.%u.%u.%u", v->uint32 >> 24, (v->uint32 >> 16) & 255, (v->uint32 >> 8) & 255,
             v->uint32 & 255);
    return 4;
  }
  if (v->type == FWP_BYTE_ARRAY16_TYPE && v->byteArray16) {
    memcpy(remote ? c->remote6 : c->local6, v->byteArray16->byteArray16, 16);
    hex16(text, v->byteArray16->byteArray16);
    return 6;
  }
  snprintf(text, cap, "type=%d", (int)v->type);
  return 0;
}

static int matches(const qm_enum_t *e, const conn_t *c) {
  if (e->any) return 1;
  if (e->want.v6 != c->v6) return 0;
  if (c->v6) return memcmp(e->want.local6, c->local6, 16) == 0 && memcmp(e->want.remote6, c->remote6, 16) == 0;
  return e->want.local4 == c->local4 && e->want.remote4 == c->remote4;
}

static qm_enum_t *find_enum(HANDLE h) {
  int i;
  for (i = 0; i < enum_count; i++) if (enums[i].open && enums[i].h == h) return &enums[i];
  return NULL;
}

__declspec(dllexport) DWORD WINAPI IPsecSaContextCreateEnumHandle0(HANDLE engine,
                                                                   const IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 *tmpl,
                                                                   HANDLE *enumHandle) {
  record_t *r = record(F_QM_ENUM_CREATE, (SOCKET)engine, tmpl, tmpl ? sizeof *tmpl : 0);
  qm_enum_t e;
  char local[40] = "", remote[40] = "";
  int lv = 0, rv = 0;
  DWORD err;
  memset(&e, 0, sizeof e);
  if (tmpl) {
    lv = read_subnet(&tmpl->localSubNet, &e.want, 0, local, sizeof local);
    rv = read_subnet(&tmpl->remoteSubNet, &e.want, 1, remote, sizeof remote);
    e.want.v6 = lv == 6;
  } else {
    e.any = 1;
  }
  if (r) {
    r->sock = (long long)(ULONG_PTR)tmpl;
    r->len = (unsigned)(ULONG_PTR)engine;
    snprintf(r->summary, sizeof r->summary, "qm-enum local=%s remote=%s", tmpl ? local : "(any)",
             tmpl ? remote : "(any)");
  }
  if ((err = wfp_fail(F_QM_ENUM_CREATE))) return err;
  if (!enumHandle) return FWP_E_NULL_POINTER;
  if (tmpl && (!lv || lv != rv)) return FWP_E_INVALID_PARAMETER;
  if (enum_count >= MAX_ENUMS) return ERROR_NOT_ENOUGH_MEMORY;
  e.h = next_enum;
  e.open = 1;
  next_enum = (HANDLE)((ULONG_PTR)next_enum + 4);
  enums[enum_count++] = e;
  *enumHandle = e.h;
  return 0;
}

__declspec(dllexport) DWORD WINAPI IPsecSaContextEnum0(HANDLE engine, HANDLE enumHandle, UINT32 requested,
                                                       IPSEC_SA_CONTEXT0 ***entries, UINT32 *returned) {
  record_t *r = record(F_QM_ENUM, (SOCKET)enumHandle, NULL, requested);
  qm_enum_t *e = find_enum(enumHandle);
  int picked[MAX_CONNS], n = 0, i;
  unsigned char *mem, *p;
  DWORD err;
  if (r) r->info_len = (unsigned)(ULONG_PTR)engine;
  if ((err = wfp_fail(F_QM_ENUM))) return err;
  if (!entries || !returned) return FWP_E_NULL_POINTER;
  if (!e) return ERROR_INVALID_HANDLE;
  for (i = 0; i < conn_count && (UINT32)n < requested; i++) if (matches(e, &conns[i])) picked[n++] = i;
  *entries = NULL;
  *returned = 0;
  if (r) snprintf(r->summary, sizeof r->summary, "qm-enum returned=%d", n);
  if (n == 0) return 0;
  mem = (unsigned char *)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n * sizeof(void *) + n * QM_PER_CONTEXT);
  if (!mem) return ERROR_NOT_ENOUGH_MEMORY;
  p = mem + n * sizeof(void *);
  for (i = 0; i < n; i++) {
    ((IPSEC_SA_CONTEXT0 **)mem)[i] = (IPSEC_SA_CONTEXT0 *)p;
    p += fill_context(p, picked[i]);
  }
  *entries = (IPSEC_SA_CONTEXT0 **)mem;
  *returned = (UINT32)n;
  sa_live++;
  return 0;
}

__declspec(dllexport) DWORD WINAPI IPsecSaContextDestroyEnumHandle0(HANDLE engine, HANDLE enumHandle) {
  record_t *r = record(F_QM_ENUM_DESTROY, (SOCKET)enumHandle, NULL, 0);
  qm_enum_t *e = find_enum(enumHandle);
  DWORD err;
  if (r) r->info_len = (unsigned)(ULONG_PTR)engine;
  if ((err = wfp_fail(F_QM_ENUM_DESTROY))) return err;
  if (!e) return ERROR_INVALID_HANDLE;
  e->open = 0;
  return 0;
}

__declspec(dllexport) DWORD WINAPI IPsecSaContextGetById0(HANDLE engine, UINT64 id, IPSEC_SA_CONTEXT0 **saContext) {
  record_t *r = record(F_QM_GET, (SOCKET)engine, NULL, 0);
  unsigned char *mem;
  DWORD err;
  if (r) r->sock = (long long)id;
  if ((err = wfp_fail(F_QM_GET))) return err;
  if (!saContext) return FWP_E_NULL_POINTER;
  if (id < 5000 || id >= 5000 + (UINT64)conn_count) return FWP_E_NOT_FOUND;
  mem = (unsigned char *)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, QM_PER_CONTEXT);
  if (!mem) return ERROR_NOT_ENOUGH_MEMORY;
  fill_context(mem, (int)(id - 5000));
  *saContext = (IPSEC_SA_CONTEXT0 *)mem;
  sa_live++;
  return 0;
}

/* Enumeration handles created and not destroyed. */
WSASEC_API wsasec_double_sa_enums(void) {
  int i, open = 0;
  for (i = 0; i < enum_count; i++) open += enums[i].open;
  return open;
}

__declspec(dllexport) void WINAPI FwpmFreeMemory0(void **p) {
  record(F_FREE_MEMORY, 0, NULL, 0);
  if (!p || !*p) return;
  HeapFree(GetProcessHeap(), 0, *p);
  *p = NULL;
  sa_live--;
}

WSASEC_API wsasec_double_sa_live(void) { return sa_live; }

/* Provider contexts the double holds now (committed or in the open transaction). */
WSASEC_API wsasec_double_wfp_contexts(void) { return key_count; }

/* Copies the summary of record `index`; returns its length, or -1. */
WSASEC_API wsasec_double_summary(int index, char *out, unsigned cap) {
  size_t n;
  if (index < 0 || index >= record_count || cap == 0) return -1;
  n = strlen(records[index].summary);
  if (n >= cap) n = cap - 1;
  memcpy(out, records[index].summary, n);
  out[n] = 0;
  return (int)n;
}

/* Control functions for the tests. */
WSASEC_API wsasec_double_reset(void) {
  record_count = 0;
  memset(fail_err, 0, sizeof fail_err);
  memset(fail_times, 0, sizeof fail_times);
  query_flags = 3;
  probe_error = WSAEMSGSIZE;
  tokens_enabled = 1;
  always_ipsec2 = 0;
  issued_count = 0;
  wfp_reset();
  return 0;
}

WSASEC_API wsasec_double_fail(int fn, int err, int times) {
  if (fn <= 0 || fn >= F_COUNT) return -1;
  fail_err[fn] = err;
  fail_times[fn] = times;
  return 0;
}

WSASEC_API wsasec_double_script_query(unsigned flags, int probe, int tokens, int ipsec2) {
  query_flags = flags;
  probe_error = probe;
  tokens_enabled = tokens;
  always_ipsec2 = ipsec2;
  return 0;
}

WSASEC_API wsasec_double_count(void) { return record_count; }

/* Copies record `index`; returns its data length, or -1 when there is no such record. */
WSASEC_API wsasec_double_record(int index, int *fn, long long *sock, unsigned *len, int *flags,
                                unsigned *info_len, unsigned char *data, unsigned cap) {
  record_t *r;
  unsigned n;
  if (index < 0 || index >= record_count) return -1;
  r = &records[index];
  *fn = r->fn;
  *sock = r->sock;
  *len = r->len;
  *flags = r->flags;
  *info_len = r->info_len;
  n = r->data_len < cap ? r->data_len : cap;
  memcpy(data, r->data, n);
  return (int)n;
}

/* Token handles issued by queries that are still open (same handle, same token id). */
WSASEC_API wsasec_double_live_tokens(void) {
  int i, live = 0;
  TOKEN_STATISTICS stats;
  DWORD len;
  for (i = 0; i < issued_count; i++) {
    len = 0;
    if (issued[i] && GetTokenInformation(issued[i], TokenStatistics, &stats, sizeof stats, &len) &&
        stats.TokenId.LowPart == issued_id[i].LowPart && stats.TokenId.HighPart == issued_id[i].HighPart)
      live++;
  }
  return live;
}
