/* The helper's runtime: records to the TypeScript side, messages, the clock, and
 * waiting for signals with a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#include "capture.h"

static int out_fd = -1;
static int broken;
static void (*fail_cleanup)(void);
static jmp_buf *fail_jump;
static char *fail_msg;
static size_t fail_len;
static int debugging = -1;

sigset_t wait_set;

void proto_init(int fd) { out_fd = fd; }
int proto_broken(void) { return broken; }
void set_fail_cleanup(void (*fn)(void)) { fail_cleanup = fn; }
void set_fail_jump(jmp_buf *j, char *msg, size_t len) {
  fail_jump = j;
  fail_msg = msg;
  fail_len = len;
}

int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void debugf(const char *fmt, ...) {
  if (debugging < 0) debugging = getenv("MIGREPLAY_CAPTURE_DEBUG") != NULL;
  if (!debugging) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "migreplay-capture: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Write every byte of the iovecs, resuming after short writes and EINTR. A reader
 * that went away (EPIPE) marks the stream broken: the main loop then stops. */
static void write_all(struct iovec *iov, int n) {
  if (broken || out_fd < 0) return;
  while (n > 0) {
    ssize_t w = writev(out_fd, iov, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      broken = 1;
      debugf("protocol write failed: %s", strerror(errno));
      return;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
}

void proto_record(const char type[4], const void *a, size_t alen, const void *b, size_t blen) {
  unsigned char head[16];
  uint64_t len = (uint64_t)alen + blen;
  memcpy(head, type, 4);
  memset(head + 4, 0, 4);
  for (int i = 0; i < 8; i++) head[8 + i] = (unsigned char)(len >> (8 * i)); /* little-endian */
  struct iovec iov[3] = {{head, 16}, {(void *)a, alen}, {(void *)b, blen}};
  write_all(iov, blen ? 3 : alen ? 2 : 1);
}

static void vtext(const char type[4], const char *fmt, va_list ap) {
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  if (n < 0) return;
  proto_record(type, s, (size_t)n, NULL, 0);
  free(s);
}

void proto_text(const char type[4], const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vtext(type, fmt, ap);
  va_end(ap);
}

/* Messages are one line: newlines inside would break the key=value payload. */
static void one_line(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r') *s = ' ';
}

void notef(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  one_line(msg);
  debugf("note: %s", msg);
  proto_text("NOTE", "message=%s\n", msg);
}

void failf(int status, const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  one_line(msg);
  if (fail_jump) {
    jmp_buf *j = fail_jump;
    fail_jump = NULL;
    debugf("setup failed (%s): %s", code, msg);
    snprintf(fail_msg, fail_len, "%s", msg);
    longjmp(*j, 1);
  }
  debugf("fail (%s): %s", code, msg);
  proto_text("FAIL", "code=%s\nmessage=%s\n", code, msg);
  void (*fn)(void) = fail_cleanup;
  fail_cleanup = NULL;
  if (fn) fn();
  exit(status);
}

int wait_signal_until(int64_t deadline_ns) {
  int64_t left = deadline_ns < 0 ? 100000000LL : deadline_ns - mono_ns();
  if (left < 0) left = 0;
  struct timespec ts = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
  siginfo_t si;
  for (;;) {
    int sig = sigtimedwait(&wait_set, &si, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return 0;
  }
}
