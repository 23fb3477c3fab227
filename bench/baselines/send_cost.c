// What one loopback send() of a chat line costs on this machine, in CPU nanoseconds: the floor
// under every server's latency, since a line to N readers is N sends whoever makes them.
// bench/run.ts compiles it with `cc -O2` and runs it on the servers' core, in the same run as the
// servers it compares.
//
// A child process reads and discards (on the CPU given, as the load generator does); the parent
// sends COUNT 48-byte lines, one send() each, with TCP_NODELAY as the servers use, and prints the
// CPU time it spent (user + system) per send.
//
//   cc -O2 -o send_cost bench/baselines/send_cost.c && taskset -c 0 ./send_cost 1   # "<ns> ns per send"

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define COUNT 100000

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 1) < 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) < 0) {
    perror("listen");
    return 1;
  }
  pid_t reader = fork();
  if (reader == 0) {
    if (argc > 1) {
      cpu_set_t cpus;
      CPU_ZERO(&cpus);
      CPU_SET(atoi(argv[1]), &cpus);
      sched_setaffinity(0, sizeof cpus, &cpus);
    }
    int s = accept(listener, NULL, NULL);
    char buf[65536];
    while (read(s, buf, sizeof buf) > 0) {
    }
    _exit(0);
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("connect");
    return 1;
  }
  const char line[] = "u12: p 3 123456 1234567890123 a chat line here\n";
  double start = cpu_seconds();
  for (int i = 0; i < COUNT; i++) {
    if (send(s, line, sizeof line - 1, 0) < 0) {
      perror("send");
      return 1;
    }
  }
  double spent = cpu_seconds() - start;
  close(s);
  waitpid(reader, NULL, 0);
  printf("%.0f ns per send\n", spent / COUNT * 1e9);
  return 0;
}
