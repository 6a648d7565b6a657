/* The Kubernetes test cluster's sandbox ("pause") process (docs/architecture.md §6.3): holds a pod's namespaces open
 * and reaps zombies, as the upstream pause image does. Built static with gcc by scripts/k8s/pause-image.sh, because no
 * public image registry is reachable from the machines the cluster runs on. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction term = {.sa_handler = on_term};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (getpid() != 1) return 1; /* only meaningful as a sandbox's first process */
  if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 ||
      sigaction(SIGCHLD, &child, NULL) < 0)
    return 2;
  for (;;) pause();
}
