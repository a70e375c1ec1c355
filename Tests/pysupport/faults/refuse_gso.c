/* LD_PRELOAD fault injector: every segmented UDP write (a sendmsg or sendmmsg carrying UDP_SEGMENT, i.e. GSO) fails
 * with EIO, as the kernel fails it on a path through IPsec or, on some kernels, a device without checksum offload.
 * Each refusal is reported on stderr ("gso-shim: refused segmented write N"). Built by pysupport.faults. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
static atomic_int refused;
static int segmented(const struct msghdr *m) {
    if (!m || !m->msg_control)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c))
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) return 1;
    return 0;
}
static void note(void) {
    int n = ++refused;
    fprintf(stderr, "gso-shim: refused segmented write %d\n", n);
}
ssize_t sendmsg(int fd, const struct msghdr *m, int flags) {
    static ssize_t (*real)(int, const struct msghdr *, int);
    if (!real) real = dlsym(RTLD_NEXT, "sendmsg");
    if (segmented(m)) { note(); errno = EIO; return -1; }
    return real(fd, m, flags);
}
int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags) {
    static int (*real)(int, struct mmsghdr *, unsigned int, int);
    if (!real) real = dlsym(RTLD_NEXT, "sendmmsg");
    for (unsigned int i = 0; i < n; i++) if (segmented(&v[i].msg_hdr)) { note(); errno = EIO; return i ? (int)i : -1; }
    return real(fd, v, n, flags);
}
