#ifndef ANCHORAGE_CSYSTEMSHIMS_H
#define ANCHORAGE_CSYSTEMSHIMS_H

// Linux calls that Swift's Glibc module lacks or cannot call: epoll and eventfd (not in the module, and
// `struct epoll_event` is packed on x86_64) and prctl (variadic). The wrappers take plain integers, so Swift never
// handles the struct. The epoll ones run on every event-loop turn, so they stay inline.

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static inline int CSystemShims_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int CSystemShims_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline uint32_t CSystemShims_EPOLLIN(void) { return EPOLLIN; }
static inline uint32_t CSystemShims_EPOLLOUT(void) { return EPOLLOUT; }
static inline uint32_t CSystemShims_EPOLLHUP(void) { return EPOLLHUP; }
static inline uint32_t CSystemShims_EPOLLERR(void) { return EPOLLERR; }

/// op: 0 add, 1 modify, 2 delete.
static inline int CSystemShims_epoll_ctl(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = 0;
    event.data.fd = fd;
    int operation = op == 0 ? EPOLL_CTL_ADD : (op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL);
    return epoll_ctl(epfd, operation, fd, &event);
}

/// Waits for at most 256 events and reports them as parallel arrays of fds and event masks.
static inline int CSystemShims_epoll_wait(int epfd, int *fds, uint32_t *masks, int capacity, int timeoutMillis) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, events, capacity, timeoutMillis);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        masks[i] = events[i].events;
    }
    return count;
}

/// Names the calling thread (at most 15 bytes are kept).
int CSystemShims_set_thread_name(const char *name);

#endif
