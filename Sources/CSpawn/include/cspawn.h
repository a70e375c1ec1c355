#ifndef CSPAWN_H
#define CSPAWN_H

#include <sys/types.h>

/// A pipe whose two ends are close-on-exec from the start, so no concurrently spawned child inherits them.
/// Returns 0, or an errno value.
int cspawn_pipe(int fds[2]);

/// Starts `path` with `argv` and `envp` (NULL-terminated), in `directory`, with `stdin_fd`, `stdout_fd` and
/// `stderr_fd` as its descriptors 0, 1 and 2 (and no others) and default signal dispositions and mask. Returns 0 and sets
/// `*pid`, or an errno value.
int cspawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *directory,
           int stdin_fd, int stdout_fd, int stderr_fd);

#endif
