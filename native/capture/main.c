/* migreplay-capture — the helper `migreplay capture` runs (src/capture/helper.ts).
 *
 *   migreplay-capture [options] (--pid N | --xen-domid N | --fake-dirtylog FILE | -- command args…)
 *     --interval-us N     epoch length (default 50000)
 *     --duration-us N     stop after N µs (default: until the target exits or a signal)
 *     --mechanism M       auto | softdirty | pagemap-scan (Linux processes)
 *     --keep-thp          leave transparent huge pages on in a started command
 *     --no-children       record the target alone, not the processes it starts
 *     --proto-fd N        where the records go (default 3)
 *     --fake-calls FILE   with --fake-dirtylog: log the source's calls
 *   migreplay-capture --probe    print which mechanisms work here, key=value lines
 *
 * Records go to the protocol descriptor (docs/capture.md, "Helper protocol"); the
 * helper writes nothing else anywhere, unless MIGREPLAY_CAPTURE_DEBUG is set (then
 * it traces on stderr). SIGINT, SIGTERM and SIGHUP end the capture cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "capture.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the helper protocol is little-endian; this helper writes host order"
#endif

static long long parse_num(const char *what, const char *s, long long min) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || v < min) failf(EXIT_USAGE, FAIL_USAGE, "%s: '%s' is not a whole number >= %lld", what, s, min);
  return v;
}

static int has_xen(void) {
#ifdef HAVE_XEN
  return 1;
#else
  return 0;
#endif
}

int main(int argc, char **argv) {
  struct capture_opts o = {.interval_us = 50000, .xen_domid = -1};
  int proto_fd = 3, probe = 0;
  /* Messages about the arguments go to the protocol descriptor too. */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (!strcmp(argv[i], "--proto-fd") && i + 1 < argc) proto_fd = atoi(argv[i + 1]);
  }
  proto_init(proto_fd);

  enum { OPT_INTERVAL = 1000, OPT_DURATION, OPT_MECH, OPT_THP, OPT_PID, OPT_XEN, OPT_FAKE, OPT_FAKECALLS, OPT_PROTO, OPT_PROBE, OPT_NOCHILD };
  static const struct option longopts[] = {
      {"interval-us", required_argument, 0, OPT_INTERVAL}, {"duration-us", required_argument, 0, OPT_DURATION},
      {"mechanism", required_argument, 0, OPT_MECH},       {"keep-thp", no_argument, 0, OPT_THP},
      {"pid", required_argument, 0, OPT_PID},              {"xen-domid", required_argument, 0, OPT_XEN},
      {"fake-dirtylog", required_argument, 0, OPT_FAKE},   {"fake-calls", required_argument, 0, OPT_FAKECALLS},
      {"proto-fd", required_argument, 0, OPT_PROTO},       {"probe", no_argument, 0, OPT_PROBE},
      {"no-children", no_argument, 0, OPT_NOCHILD},
      {0, 0, 0, 0}};
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_INTERVAL: o.interval_us = parse_num("--interval-us", optarg, 1000); break;
    case OPT_DURATION: o.duration_us = parse_num("--duration-us", optarg, 0); break;
    case OPT_MECH:
      if (!strcmp(optarg, "auto")) o.mechanism = MECH_AUTO;
      else if (!strcmp(optarg, "softdirty")) o.mechanism = MECH_SOFTDIRTY;
      else if (!strcmp(optarg, "pagemap-scan")) o.mechanism = MECH_PMSCAN;
      else failf(EXIT_USAGE, FAIL_USAGE, "--mechanism: '%s' is not one of auto, softdirty, pagemap-scan", optarg);
      break;
    case OPT_THP: o.keep_thp = 1; break;
    case OPT_PID: o.pid = (pid_t)parse_num("--pid", optarg, 1); break;
    case OPT_XEN: o.xen_domid = (long)parse_num("--xen-domid", optarg, 0); break;
    case OPT_FAKE: o.fake_log_in = optarg; break;
    case OPT_FAKECALLS: o.fake_log_trace = optarg; break;
    case OPT_PROTO: break;
    case OPT_PROBE: probe = 1; break;
    case OPT_NOCHILD: o.no_children = 1; break;
    default: failf(EXIT_USAGE, FAIL_USAGE, "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (probe) {
    int m = linux_probe();
    printf("softdirty=%d\npagemap-scan=%d\nxen=%d\nprotocol=%d\n", m & 1, (m >> 1) & 1, has_xen(), CAPTURE_PROTOCOL_VERSION);
    return 0;
  }
  if (optind < argc) o.argv = argv + optind;
  int sources = (o.pid > 0) + (o.argv != NULL) + (o.xen_domid >= 0) + (o.fake_log_in != NULL);
  if (sources != 1) failf(EXIT_USAGE, FAIL_USAGE, "give exactly one of --pid N, --xen-domid N, --fake-dirtylog FILE or -- command…");
  if (fcntl(proto_fd, F_GETFD) < 0) {
    fprintf(stderr, "migreplay-capture: descriptor %d is not open; this helper is run by `migreplay capture`\n", proto_fd);
    return EXIT_USAGE;
  }
  fcntl(proto_fd, F_SETFD, FD_CLOEXEC); /* the target never sees it */

  /* Signals: the loops wait for these; a write to a closed pipe is an error, not death. */
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&wait_set);
  sigaddset(&wait_set, SIGCHLD);
  sigaddset(&wait_set, SIGINT);
  sigaddset(&wait_set, SIGTERM);
  sigaddset(&wait_set, SIGHUP);
  sigprocmask(SIG_BLOCK, &wait_set, NULL);
  /* If migreplay dies, end the capture as for SIGTERM (the target is released or stopped). */
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) kill(getpid(), SIGTERM);

  if (o.fake_log_in || o.xen_domid >= 0) {
    struct dirtylog dl;
    if (o.fake_log_in) fakelog_init(&dl, o.fake_log_in, o.fake_log_trace);
    else xen_init(&dl, o.xen_domid);
    return run_logdirty(&dl, &o);
  }
  return run_linux(&o);
}
