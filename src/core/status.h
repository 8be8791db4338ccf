/* Status codes, the last error message, and the process exit codes they map to.
 * Every fallible function returns chs_status; only main() turns one into an exit code. */
#ifndef CHS_STATUS_H
#define CHS_STATUS_H

/* X(name, exit code, what it means) — the exit codes are documented in the README. */
#define CHS_STATUS_LIST(X)                                                   \
  X(CHS_OK, 0, "success")                                                    \
  X(CHS_ERR_USAGE, 2, "bad command line")                                    \
  X(CHS_ERR_CONFIG, 3, "invalid configuration")                              \
  X(CHS_ERR_IO, 4, "file or HDF5 operation failed")                          \
  X(CHS_ERR_SOLVER, 5, "time integration failed")                            \
  X(CHS_ERR_NOMEM, 6, "out of memory")                                       \
  X(CHS_ERR_MPI, 7, "MPI failure")                                           \
  X(CHS_ERR_INTERNAL, 8, "internal error (a bug: please report it)")         \
  X(CHS_ERR_INTERRUPTED, 9, "stopped by a signal")

typedef enum {
#define CHS_X_ENUM(name, code, msg) name,
  CHS_STATUS_LIST(CHS_X_ENUM)
#undef CHS_X_ENUM
  CHS_STATUS_COUNT_
} chs_status;

const char *chs_status_name(chs_status s);
const char *chs_status_text(chs_status s);
int chs_status_exit_code(chs_status s);

/* Records a message for the caller (the first one wins until chs_error_clear) and
 * returns s, so error paths read: return chs_error(CHS_ERR_CONFIG, "...", ...). The
 * source file and line of the call are recorded with it (chs_error_where). */
chs_status chs_error_at(const char *file, int line, chs_status s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define chs_error(s, ...) chs_error_at(__FILE__, __LINE__, (s), __VA_ARGS__)
const char *chs_error_message(void);
/* Where the recorded message was raised, "src/io/output.c:412" (empty if none). */
const char *chs_error_where(void);
void chs_error_clear(void);

#define CHS_CHECK(call)                \
  do {                                 \
    chs_status chs_s_ = (call);        \
    if (chs_s_ != CHS_OK) return chs_s_; \
  } while (0)

/* Cleanup-on-error form: sets st and jumps to the label. */
#define CHS_TRY(st, call, label) \
  do {                           \
    (st) = (call);               \
    if ((st) != CHS_OK) goto label; \
  } while (0)

#endif
