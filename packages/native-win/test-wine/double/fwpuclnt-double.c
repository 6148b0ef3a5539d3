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
#include <windows.h>
#include <string.h>

#define WSASEC_API __declspec(dllexport) int WINAPI

enum { F_SET_SECURITY = 1, F_SET_TARGET, F_DELETE_TARGET, F_QUERY, F_IMPERSONATE, F_REVERT, F_COUNT };

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
