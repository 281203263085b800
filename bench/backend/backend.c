/*
 * Stratum-like benchmark backend: one epoll thread, canned JSON-RPC replies.
 *
 *   backend --port P --control-port C [--notify-bytes 600] [--max-conns 20000]
 *
 * Miner side (port P): every newline-terminated line is answered at once:
 *   mining.subscribe -> subscription result, mining.submit -> true, mining.authorize -> true followed by
 *   mining.set_difficulty and the current job (the last broadcast, or one made at start), as pools send them,
 *   anything else -> null result. The reply id is copied verbatim from the request.
 * Control side (control port C, loopback only), one command per line:
 *   "notify"  broadcast one mining.notify line (~notify-bytes long) to every miner connection; the job id
 *             carries the CLOCK_MONOTONIC nanoseconds at which the broadcast started, so a client on the same
 *             host can measure fan-out latency. Replies "sent <connections> <microseconds>".
 *   "count"   replies "conns <miner connections>".
 * Writes that do not fit the socket buffer are queued per connection (bounded) and flushed on EPOLLOUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP 16384
#define OUT_LIMIT (1 << 20)

typedef struct conn {
    int fd;
    int control;
    int index;             /* position in the miner list, -1 for control */
    size_t in_len;
    char *in;
    char *out;
    size_t out_len, out_cap;
    int want_out;
    int dead;
    struct conn *next_dead;
} conn_t;

static int epfd;
static conn_t **miners;
static int miner_count, max_conns = 20000;
static size_t notify_bytes = 600;
static volatile sig_atomic_t stop;
static conn_t *graveyard; /* closed during this epoll batch; freed after it so later events never see freed memory */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig) { (void)sig; stop = 1; }

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
        fprintf(stderr, "backend: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(2);
    }
    return fd;
}

static void update_events(conn_t *c) {
    struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = c};
    if (c->want_out != (c->out_len != 0)) {
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = c->out_len != 0;
    }
}

static void close_conn(conn_t *c) {
    if (c->dead) return;
    c->dead = 1;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->index >= 0) {
        conn_t *last = miners[--miner_count];
        miners[c->index] = last;
        last->index = c->index;
    }
    c->next_dead = graveyard;
    graveyard = c;
}

static void bury_dead(void) {
    while (graveyard) {
        conn_t *c = graveyard;
        graveyard = c->next_dead;
        free(c->in);
        free(c->out);
        free(c);
    }
}

/* Returns -1 when the connection must be closed. */
static int send_bytes(conn_t *c, const char *data, size_t len) {
    if (c->out_len == 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            n = 0;
        }
        data += n;
        len -= (size_t)n;
        if (len == 0) return 0;
    }
    if (c->out_len + len > OUT_LIMIT) return -1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len) cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p) return -1;
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    update_events(c);
    return 0;
}

static int flush_out(conn_t *c) {
    while (c->out_len) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return -1;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    update_events(c);
    return 0;
}

/* Copies the raw JSON value of "id" (number, string or null) into out; returns its length. */
static size_t find_id(const char *line, size_t len, char *out, size_t cap) {
    const char *p = memmem(line, len, "\"id\"", 4);
    if (!p) { memcpy(out, "null", 4); return 4; }
    const char *end = line + len;
    p += 4;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    const char *start = p;
    if (p < end && *p == '"') {
        p++;
        while (p < end && *p != '"') p++;
        if (p < end) p++;
    } else {
        while (p < end && *p != ',' && *p != '}' && *p != ' ') p++;
    }
    size_t n = (size_t)(p - start);
    if (n == 0 || n >= cap) { memcpy(out, "null", 4); return 4; }
    memcpy(out, start, n);
    return n;
}

/* The current job: one mining.notify line of about notify_bytes, its job id the given stamp. */
static char *job;
static size_t job_len, job_cap;

static void make_job(uint64_t stamp) {
    if (!job) { job_cap = notify_bytes + 512; job = malloc(job_cap); }
    /* prevhash, coinbase halves and merkle branches shaped like a real job; the coinbase is padded to size. */
    int head = snprintf(job, job_cap,
        "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"%llu\","
        "\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\","
        "\"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008\",\"",
        (unsigned long long)stamp);
    const char *tail_fmt = "\",[\"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90\","
        "\"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\"],"
        "\"20000000\",\"1d00ffff\",\"504e86ed\",true]}\n";
    size_t tail_len = strlen(tail_fmt);
    size_t pad = notify_bytes > (size_t)head + tail_len ? notify_bytes - (size_t)head - tail_len : 8;
    if (pad % 2) pad++;
    if ((size_t)head + pad + tail_len + 1 > job_cap) { job_cap = (size_t)head + pad + tail_len + 1; job = realloc(job, job_cap); }
    for (size_t i = 0; i < pad; i++) job[head + i] = "0123456789abcdef"[(i * 7) & 15];
    memcpy(job + head + pad, tail_fmt, tail_len);
    job_len = (size_t)head + pad + tail_len;
}

static int broadcast_notify(conn_t *control) {
    uint64_t t0 = now_ns();
    make_job(t0);
    const char *msg = job;
    size_t len = job_len;

    int sent = 0;
    for (int i = 0; i < miner_count;) {
        conn_t *m = miners[i];
        if (send_bytes(m, msg, len) < 0) { close_conn(m); continue; } /* slot i now holds another miner */
        sent++;
        i++;
    }
    char reply[96];
    int n = snprintf(reply, sizeof reply, "sent %d %llu\n", sent, (unsigned long long)((now_ns() - t0) / 1000));
    return send_bytes(control, reply, (size_t)n);
}

static int handle_line(conn_t *c, const char *line, size_t len) {
    if (c->control) {
        if (len >= 6 && memcmp(line, "notify", 6) == 0) return broadcast_notify(c);
        if (len >= 5 && memcmp(line, "count", 5) == 0) {
            char reply[64];
            int n = snprintf(reply, sizeof reply, "conns %d\n", miner_count);
            return send_bytes(c, reply, (size_t)n);
        }
        return send_bytes(c, "unknown\n", 8);
    }
    char id[64];
    size_t id_len = find_id(line, len, id, sizeof id);
    char reply[512];
    int n;
    if (memmem(line, len, "\"mining.subscribe\"", 18)) {
        n = snprintf(reply, sizeof reply,
            "{\"id\":%.*s,\"result\":[[[\"mining.set_difficulty\",\"b4b6693b72a50c7116db18d6497cac52\"],"
            "[\"mining.notify\",\"ae6812eb4cd7735a302a8a9dd95cf71f\"]],\"%08x\",4],\"error\":null}\n",
            (int)id_len, id, (unsigned)c->fd);
    } else if (memmem(line, len, "\"mining.authorize\"", 18)) {
        n = snprintf(reply, sizeof reply, "{\"id\":%.*s,\"result\":true,\"error\":null}\n"
            "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[1]}\n", (int)id_len, id);
        if (send_bytes(c, reply, (size_t)n) < 0) return -1;
        return send_bytes(c, job, job_len);
    } else if (memmem(line, len, "\"mining.submit\"", 15)) {
        n = snprintf(reply, sizeof reply, "{\"id\":%.*s,\"result\":true,\"error\":null}\n", (int)id_len, id);
    } else {
        n = snprintf(reply, sizeof reply, "{\"id\":%.*s,\"result\":null,\"error\":null}\n", (int)id_len, id);
    }
    return send_bytes(c, reply, (size_t)n);
}

static void on_readable(conn_t *c) {
    {
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (n == 0) { close_conn(c); return; }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            close_conn(c);
            return;
        }
        c->in_len += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(c->in + start, '\n', c->in_len - start);
            if (!nl) break;
            size_t line_len = (size_t)(nl - (c->in + start));
            if (handle_line(c, c->in + start, line_len) < 0) { close_conn(c); return; }
            start += line_len + 1;
        }
        if (start) {
            memmove(c->in, c->in + start, c->in_len - start);
            c->in_len -= start;
        }
        if (c->in_len == IN_CAP) close_conn(c); /* line too long */
        /* level-triggered: anything left in the socket wakes us again */
    }
}

static void accept_all(int lfd, int control) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            if (errno == EMFILE || errno == ENFILE) { fprintf(stderr, "backend: out of descriptors\n"); return; }
            return;
        }
        if (!control && miner_count >= max_conns) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->control = control;
        c->in = malloc(IN_CAP);
        c->index = -1;
        if (!control) { c->index = miner_count; miners[miner_count++] = c; }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

int main(int argc, char **argv) {
    int port = 0, control_port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--control-port") && i + 1 < argc) control_port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--notify-bytes") && i + 1 < argc) notify_bytes = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-conns") && i + 1 < argc) max_conns = atoi(argv[++i]);
        else { fprintf(stderr, "usage: backend --port P --control-port C [--notify-bytes N] [--max-conns N]\n"); return 2; }
    }
    if (!port || !control_port) { fprintf(stderr, "backend: --port and --control-port are required\n"); return 2; }
    make_job(now_ns());
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    miners = calloc((size_t)max_conns, sizeof *miners);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    int lfd = listen_on(port), cfd = listen_on(control_port);
    static int lmark = 1, cmark = 2; /* listener tags in data.ptr */
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lmark};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &cmark;
    epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
    fprintf(stderr, "backend: listening on 127.0.0.1:%d (control %d)\n", port, control_port);
    struct epoll_event events[512];
    while (!stop) {
        int n = epoll_wait(epfd, events, 512, 500);
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &lmark) { accept_all(lfd, 0); continue; }
            if (p == &cmark) { accept_all(cfd, 1); continue; }
            conn_t *c = p;
            if (c->dead) continue;
            if (events[i].events & EPOLLOUT) {
                if (flush_out(c) < 0) { close_conn(c); continue; }
            }
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
        }
        bury_dead();
    }
    return 0;
}
