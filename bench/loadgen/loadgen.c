/*
 * Stratum load generator: one epoll thread, edge-triggered, optional TLS (OpenSSL, full handshakes only).
 * Every connection first sends mining.subscribe (id 1) and mining.authorize (id 2) and waits for both replies.
 *
 *   loadgen idle   --port P --conns 1000,9900 [--concurrency 200] [--hold S]
 *       Opens connections up to each checkpoint, prints "STAGE conns=N ...", then waits for SIGUSR1 before the next
 *       checkpoint; after the last one it holds the connections until SIGTERM/SIGINT or --hold seconds.
 *   loadgen submit --port P --conns 50 [--warmup S] [--duration S] [--pids PID,PID...]
 *       Closed loop: each connection sends one mining.submit (id 4, as miners do) and waits for its reply.
 *       Reports requests/s, p50/p99/p99.9 latency, CPU microseconds per request of the listed processes.
 *   loadgen fanout --port P --control-port C --conns 5000 [--rounds R] [--interval-ms MS] [--pids PID,PID...]
 *       Asks the backend (control port) to broadcast mining.notify R times; reports when the last miner had it.
 * Common: --host 127.x.y.z (loopback only), --tls, --timeout S (hard deadline for the whole run).
 * Results are printed as "RESULT key=value ..." lines for the harness.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

enum state { CONNECTING, HANDSHAKING, SUBSCRIBING, READY, FAILED };
enum mode { MODE_IDLE, MODE_SUBMIT, MODE_FANOUT };

typedef struct conn {
    int fd;
    enum state state;
    SSL *ssl;
    int replies;          /* replies seen to subscribe/authorize */
    char *in;
    size_t in_len;
    const char *out;      /* pending bytes to write (static data) */
    size_t out_len;
    uint64_t sent_at;     /* submit: when the outstanding request was written */
    int outstanding;
    uint64_t notify_stamp; /* fanout: stamp of the last notify received */
} conn_t;

static enum mode mode;
static const char *host = "127.0.0.1";
static int port, control_port, use_tls, concurrency = 200, rounds = 10, interval_ms = 200;
static unsigned long long duplicates; /* fanout: notify lines a connection received twice */
static double warmup_s = 1, duration_s = 5, hold_s = 600, timeout_s = 120;
static int checkpoints[8], checkpoint_count;
static int pids[16], pid_count;
static size_t in_cap = 4096;
static SSL_CTX *ssl_ctx;
static int epfd;
static conn_t *conns;
static int opened, ready, failed, connecting_now;
static volatile sig_atomic_t stop, proceed;
static uint64_t deadline_ns;

/* submit measurement */
static int measuring, sending = 1;
static uint64_t window_requests;
static uint32_t *samples;
static size_t sample_count, sample_cap = 4u << 20;
static uint64_t errors;

static const char subscribe_authorize[] =
    "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"bench-miner/1.0\"]}\n"
    "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"bc1qbenchworkeraddress0000000000000000.rig01\",\"x\"]}\n";
/* ~150 bytes like a real share; id 4 as cgminer-derived firmware sends for every submit. */
static const char submit_line[] =
    "{\"id\":4,\"method\":\"mining.submit\",\"params\":[\"bc1qbenchworkeraddress0000000000000000.rig01\","
    "\"6a3f1c0b\",\"00000000a1b2c3d4\",\"65f1c2a0\",\"9f3c2b1a\",\"00200000\"]}\n";

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_self_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* utime and stime of the listed processes (all threads), in seconds; -1 when none listed or unreadable. */
static int cpu_pids_split(double *user, double *sys) {
    *user = *sys = -1;
    if (pid_count == 0) return -1;
    unsigned long long utotal = 0, stotal = 0;
    long tick = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < pid_count; i++) {
        char path[64], buf[2048];
        snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) return -1;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (!p) return -1;
        unsigned long long utime = 0, stime = 0;
        /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
        utotal += utime;
        stotal += stime;
    }
    *user = (double)utotal / (double)tick;
    *sys = (double)stotal / (double)tick;
    return 0;
}

/* Voluntary (went to sleep, woken) and involuntary (preempted, yielded) switches summed over the threads of the
 * listed processes; -1 when none listed or unreadable. A thread that exits takes its counts with it. */
static int switches_pids(unsigned long long *voluntary, unsigned long long *involuntary) {
    *voluntary = *involuntary = 0;
    if (pid_count == 0) return -1;
    for (int i = 0; i < pid_count; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task", pids[i]);
        DIR *tasks = opendir(path);
        if (!tasks) return -1;
        struct dirent *task;
        while ((task = readdir(tasks))) {
            if (task->d_name[0] == '.') continue;
            char status[384], line[256];
            snprintf(status, sizeof status, "%s/%s/status", path, task->d_name);
            FILE *f = fopen(status, "r");
            if (!f) continue;
            unsigned long long n;
            while (fgets(line, sizeof line, f)) {
                if (sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1) *voluntary += n;
                else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &n) == 1) *involuntary += n;
            }
            fclose(f);
        }
        closedir(tasks);
    }
    return 0;
}

/* utime+stime of the listed processes, in seconds; -1 when none listed or unreadable. */
static double cpu_pids_s(void) {
    double user, sys;
    return cpu_pids_split(&user, &sys) == 0 ? user + sys : -1;
}

static void on_signal(int sig) {
    if (sig == SIGUSR1) proceed = 1;
    else stop = 1;
}

static void fail(conn_t *c) {
    if (c->state == FAILED) return;
    if (c->state != READY) connecting_now--;
    else ready--;
    c->state = FAILED;
    failed++;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }
    close(c->fd);
}

static int open_conn(conn_t *c) {
    memset(c, 0, sizeof *c);
    c->in = malloc(in_cap);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { fprintf(stderr, "loadgen: socket: %s\n", strerror(errno)); return -1; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    c->state = CONNECTING;
    connecting_now++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        fail(c);
        return 0;
    }
    return 0;
}

/* Writes pending bytes; 0 = done or would block, -1 = failed. */
static int flush(conn_t *c) {
    while (c->out_len) {
        ssize_t n;
        if (c->ssl) {
            int r = SSL_write(c->ssl, c->out, (int)c->out_len);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return 0;
                return -1;
            }
            n = r;
        } else {
            n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
            if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
        c->out += n;
        c->out_len -= (size_t)n;
    }
    return 0;
}

static void send_submit(conn_t *c, uint64_t now) {
    c->out = submit_line;
    c->out_len = sizeof submit_line - 1;
    c->sent_at = now;
    c->outstanding = 1;
    if (flush(c) < 0) fail(c);
}

static void on_line(conn_t *c, const char *line, size_t len) {
    int is_reply = memmem(line, len, "\"result\"", 8) != NULL;
    if (c->state == SUBSCRIBING) {
        if (is_reply && ++c->replies == 2) {
            c->state = READY;
            connecting_now--;
            ready++;
            if (mode == MODE_SUBMIT && sending) send_submit(c, now_ns());
        }
        return;
    }
    if (mode == MODE_SUBMIT && is_reply && c->outstanding) {
        uint64_t now = now_ns();
        c->outstanding = 0;
        if (measuring) {
            window_requests++;
            uint64_t lat = now - c->sent_at;
            if (sample_count < sample_cap) samples[sample_count++] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
            if (memmem(line, len, "true", 4) == NULL) errors++;
        }
        if (sending && c->state == READY) send_submit(c, now);
        return;
    }
    if (mode == MODE_FANOUT && !is_reply) {
        const char *m = memmem(line, len, "\"mining.notify\"", 15);
        if (!m) return;
        const char *p = memmem(line, len, "\"params\":[\"", 11);
        if (!p) return;
        uint64_t stamp = strtoull(p + 11, NULL, 10);
        /* A job a miner already has: a proxy that sends jobs early must drop the miner's own copy. */
        if (stamp == c->notify_stamp) duplicates++;
        c->notify_stamp = stamp;
        /* arrival time is recorded by the caller through notify_arrival */
    }
}

static uint64_t *arrivals;     /* fanout: arrival time per connection in the current round */
static uint64_t round_stamp;   /* fanout: stamp of the current round, 0 until its first notify */
static uint64_t prev_round_stamp;
static int round_received;

static void drive(conn_t *c) {
    if (c->state == FAILED) return;
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { fail(c); return; }
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) < 0) return; /* not connected yet */
        if (use_tls) {
            c->ssl = SSL_new(ssl_ctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_tlsext_host_name(c->ssl, "localhost");
            SSL_set_connect_state(c->ssl);
            c->state = HANDSHAKING;
        } else {
            c->state = SUBSCRIBING;
            c->out = subscribe_authorize;
            c->out_len = sizeof subscribe_authorize - 1;
        }
    }
    if (c->state == HANDSHAKING) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            fail(c);
            return;
        }
        c->state = SUBSCRIBING;
        c->out = subscribe_authorize;
        c->out_len = sizeof subscribe_authorize - 1;
    }
    if (flush(c) < 0) { fail(c); return; }
    for (;;) {
        if (c->in_len == in_cap) c->in_len = 0; /* a line longer than the buffer: drop it */
        ssize_t n;
        if (c->ssl) {
            int r = SSL_read(c->ssl, c->in + c->in_len, (int)(in_cap - c->in_len));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
                fail(c);
                return;
            }
            n = r;
        } else {
            n = recv(c->fd, c->in + c->in_len, in_cap - c->in_len, 0);
            if (n == 0) { fail(c); return; }
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                fail(c);
                return;
            }
        }
        c->in_len += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(c->in + start, '\n', c->in_len - start);
            if (!nl) break;
            size_t len = (size_t)(nl - (c->in + start));
            uint64_t before = c->notify_stamp;
            on_line(c, c->in + start, len);
            if (c->state == FAILED) return;
            if (mode == MODE_FANOUT && c->notify_stamp != before && round_stamp == 0 && c->notify_stamp > prev_round_stamp) round_stamp = c->notify_stamp;
            if (mode == MODE_FANOUT && c->notify_stamp != before && c->notify_stamp == round_stamp) {
                size_t idx = (size_t)(c - conns);
                if (arrivals[idx] == 0) { arrivals[idx] = now_ns(); round_received++; }
            }
            start += len + 1;
        }
        if (start) {
            memmove(c->in, c->in + start, c->in_len - start);
            c->in_len -= start;
        }
    }
    if (c->out_len && flush(c) < 0) fail(c);
}

static void poll_once(int timeout_ms) {
    struct epoll_event events[1024];
    int n = epoll_wait(epfd, events, 1024, timeout_ms);
    for (int i = 0; i < n; i++) {
        conn_t *c = events[i].data.ptr;
        drive(c);
    }
}

static int past_deadline(void) { return stop || now_ns() > deadline_ns; }

/* Opens connections until `target` are ready (or failed); returns seconds taken. */
static double establish(int target) {
    uint64_t t0 = now_ns();
    while (!past_deadline() && ready + failed < target) {
        while (opened < target && connecting_now < concurrency) {
            if (open_conn(&conns[opened]) < 0) { stop = 1; break; }
            opened++;
        }
        poll_once(5);
    }
    return (double)(now_ns() - t0) / 1e9;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_u32(const uint32_t *s, size_t n, double p) {
    if (n == 0) return -1;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return s[i];
}

static double pct_double(double *s, int n, double p) {
    if (n == 0) return -1;
    int i = (int)(p * (n - 1) + 0.5);
    return s[i];
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run_idle(void) {
    for (int k = 0; k < checkpoint_count; k++) {
        int target = checkpoints[k];
        int ready_before = ready;
        double cpu0 = cpu_self_s();
        double secs = establish(target);
        double cpu = cpu_self_s() - cpu0;
        int made = ready - ready_before; /* only connections that completed subscribe + authorize count */
        printf("STAGE conns=%d ready=%d failed=%d setup_s=%.3f setup_rate=%.0f loadgen_cpu_pct=%.0f\n",
               target, ready, failed, secs, secs > 0 ? made / secs : 0, secs > 0 ? 100 * cpu / secs : 0);
        if (past_deadline()) break;
        /* Hold: keep servicing sockets (the proxy may still send) until told to go on or stop. */
        uint64_t hold_until = now_ns() + (uint64_t)(hold_s * 1e9);
        while (!proceed && !stop && now_ns() < hold_until && now_ns() < deadline_ns) poll_once(100);
        proceed = 0;
        if (stop || k == checkpoint_count - 1) break;
    }
    printf("RESULT mode=idle ready=%d failed=%d\n", ready, failed);
    return failed ? 1 : 0;
}

static int run_submit(void) {
    samples = malloc(sample_cap * sizeof *samples);
    int target = checkpoints[0];
    double setup = establish(target);
    if (ready < target) {
        printf("RESULT mode=submit error=setup ready=%d failed=%d\n", ready, failed);
        return 1;
    }
    uint64_t warm_end = now_ns() + (uint64_t)(warmup_s * 1e9);
    while (!past_deadline() && now_ns() < warm_end) poll_once(10);
    measuring = 1;
    double cpu_self0 = cpu_self_s(), cpu_pids0 = cpu_pids_s();
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(duration_s * 1e9);
    while (!past_deadline() && now_ns() < end) poll_once(10);
    uint64_t t1 = now_ns();
    double cpu_pids1 = cpu_pids_s(), cpu_self1 = cpu_self_s();
    measuring = 0;
    sending = 0;
    double secs = (double)(t1 - t0) / 1e9;
    qsort(samples, sample_count, sizeof *samples, cmp_u32);
    double proxy_us = (cpu_pids0 >= 0 && cpu_pids1 >= 0 && window_requests)
        ? (cpu_pids1 - cpu_pids0) * 1e6 / (double)window_requests : -1;
    printf("RESULT mode=submit conns=%d setup_s=%.3f requests=%llu rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
           "max_us=%.1f proxy_cpu_us=%.2f proxy_cpu_pct=%.0f loadgen_cpu_pct=%.0f errors=%llu failed=%d\n",
           target, setup, (unsigned long long)window_requests, window_requests / secs,
           pct_u32(samples, sample_count, 0.50) / 1e3, pct_u32(samples, sample_count, 0.99) / 1e3,
           pct_u32(samples, sample_count, 0.999) / 1e3, sample_count ? samples[sample_count - 1] / 1e3 : -1,
           proxy_us, cpu_pids0 >= 0 ? 100 * (cpu_pids1 - cpu_pids0) / secs : -1,
           100 * (cpu_self1 - cpu_self0) / secs, (unsigned long long)errors, failed);
    return (failed || errors) ? 1 : 0;
}

static int connect_control(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)control_port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "loadgen: control connection to port %d: %s\n", control_port, strerror(errno));
        return -1;
    }
    return fd;
}

static int read_control_line(int fd, char *buf, size_t cap) {
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = recv(fd, buf + len, 1, 0);
        if (n <= 0) return -1;
        if (buf[len] == '\n') break;
        len++;
    }
    buf[len] = 0;
    return 0;
}

static int run_fanout(void) {
    int target = checkpoints[0];
    arrivals = calloc((size_t)target, sizeof *arrivals);
    double setup = establish(target);
    if (ready < target) {
        printf("RESULT mode=fanout error=setup ready=%d failed=%d\n", ready, failed);
        return 1;
    }
    int cfd = connect_control();
    if (cfd < 0) return 1;
    uint64_t settle = now_ns() + 200000000ull;
    while (!past_deadline() && now_ns() < settle) poll_once(10);
    double *last_ms = calloc((size_t)rounds, sizeof *last_ms), *median_ms = calloc((size_t)rounds, sizeof *median_ms);
    uint64_t *sorted = calloc((size_t)target, sizeof *sorted);
    int done = 0, incomplete = 0;
    double user0, sys0;
    unsigned long long vol0, invol0, vol1, invol1;
    int pids_ok = cpu_pids_split(&user0, &sys0) == 0 && switches_pids(&vol0, &invol0) == 0;
    double cpu0 = cpu_self_s(), write_us_sum = 0;
    unsigned long long delivered = 0;
    uint64_t t_start = now_ns();
    for (int r = 0; r < rounds && !past_deadline(); r++) {
        memset(arrivals, 0, (size_t)target * sizeof *arrivals);
        round_received = 0;
        prev_round_stamp = round_stamp;
        round_stamp = 0;
        if (send(cfd, "notify\n", 7, MSG_NOSIGNAL) != 7) { fprintf(stderr, "loadgen: control send failed\n"); break; }
        uint64_t round_deadline = now_ns() + 10000000000ull;
        while (round_received < ready && now_ns() < round_deadline && !past_deadline()) poll_once(5);
        char line[128];
        if (read_control_line(cfd, line, sizeof line) == 0) {
            unsigned long long n_sent = 0, us = 0;
            if (sscanf(line, "sent %llu %llu", &n_sent, &us) == 2) write_us_sum += (double)us;
        }
        if (round_received < ready) incomplete++;
        delivered += (unsigned long long)round_received;
        int k = 0;
        for (int i = 0; i < target; i++) if (arrivals[i]) sorted[k++] = arrivals[i];
        if (k > 0 && round_stamp) {
            qsort(sorted, (size_t)k, sizeof *sorted, cmp_u64);
            last_ms[done] = (double)(sorted[k - 1] - round_stamp) / 1e6;
            median_ms[done] = (double)(sorted[k / 2] - round_stamp) / 1e6;
            done++;
        }
        uint64_t pause = now_ns() + (uint64_t)interval_ms * 1000000ull;
        while (!past_deadline() && now_ns() < pause) poll_once(5);
    }
    double wall = (double)(now_ns() - t_start) / 1e9;
    double cpu = cpu_self_s() - cpu0, user1, sys1;
    pids_ok = pids_ok && cpu_pids_split(&user1, &sys1) == 0 && switches_pids(&vol1, &invol1) == 0 && delivered;
    /* The proxy's CPU over the rounds (pauses included: an idle proxy costs next to nothing) per notify delivered. */
    double proxy_user_us = pids_ok ? (user1 - user0) * 1e6 / (double)delivered : -1;
    double proxy_sys_us = pids_ok ? (sys1 - sys0) * 1e6 / (double)delivered : -1;
    double proxy_vol = pids_ok ? (double)(vol1 - vol0) / (double)delivered : -1;
    double proxy_invol = pids_ok ? (double)(invol1 - invol0) / (double)delivered : -1;
    /* In round order, to tell a slow first round (a cold path) from a stall anywhere. */
    printf("ROUNDS last_ms=");
    for (int r = 0; r < done; r++) printf("%s%.1f", r ? "," : "", last_ms[r]);
    printf("\n");
    qsort(last_ms, (size_t)done, sizeof *last_ms, cmp_double);
    qsort(median_ms, (size_t)done, sizeof *median_ms, cmp_double);
    printf("RESULT mode=fanout conns=%d setup_s=%.3f rounds=%d incomplete=%d last_p50_ms=%.2f last_p99_ms=%.2f "
           "last_max_ms=%.2f median_miner_p50_ms=%.2f backend_write_ms=%.2f delivered=%llu proxy_cpu_us=%.2f "
           "proxy_user_us=%.2f proxy_sys_us=%.2f proxy_switches_voluntary=%.4f proxy_switches_involuntary=%.4f "
           "loadgen_cpu_pct=%.0f failed=%d duplicates=%llu\n",
           target, setup, done, incomplete, pct_double(last_ms, done, 0.5), pct_double(last_ms, done, 0.99),
           done ? last_ms[done - 1] : -1, pct_double(median_ms, done, 0.5), done ? write_us_sum / done / 1e3 : -1,
           delivered, pids_ok ? proxy_user_us + proxy_sys_us : -1, proxy_user_us, proxy_sys_us, proxy_vol, proxy_invol,
           wall > 0 ? 100 * cpu / wall : 0, failed, duplicates);
    close(cfd);
    return (incomplete || failed || done < rounds || duplicates) ? 1 : 0;
}

static void usage(void) {
    fprintf(stderr, "usage: loadgen idle|submit|fanout --port P [--host 127.0.0.1] [--tls] [--conns N[,N...]] "
                    "[--concurrency N] [--hold S] [--warmup S] [--duration S] [--pids P,P] "
                    "[--control-port C] [--rounds R] [--interval-ms MS] [--timeout S]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    if (!strcmp(argv[1], "idle")) mode = MODE_IDLE;
    else if (!strcmp(argv[1], "submit")) mode = MODE_SUBMIT;
    else if (!strcmp(argv[1], "fanout")) mode = MODE_FANOUT;
    else usage();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tls")) { use_tls = 1; continue; }
        if (!v) usage();
        i++;
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--control-port")) control_port = atoi(v);
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--hold")) hold_s = atof(v);
        else if (!strcmp(a, "--warmup")) warmup_s = atof(v);
        else if (!strcmp(a, "--duration")) duration_s = atof(v);
        else if (!strcmp(a, "--rounds")) rounds = atoi(v);
        else if (!strcmp(a, "--interval-ms")) interval_ms = atoi(v);
        else if (!strcmp(a, "--timeout")) timeout_s = atof(v);
        else if (!strcmp(a, "--conns") || !strcmp(a, "--pids")) {
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!strcmp(a, "--conns") && checkpoint_count < 8) checkpoints[checkpoint_count++] = atoi(t);
                if (!strcmp(a, "--pids") && pid_count < 16) pids[pid_count++] = atoi(t);
            }
            free(copy);
        } else usage();
    }
    struct in_addr addr;
    if (inet_pton(AF_INET, host, &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "loadgen: only loopback (127.0.0.0/8) targets are allowed\n");
        return 2;
    }
    if (!port) usage();
    if (checkpoint_count == 0) checkpoints[checkpoint_count++] = mode == MODE_IDLE ? 1000 : mode == MODE_SUBMIT ? 50 : 5000;
    int max = 0;
    for (int k = 0; k < checkpoint_count; k++) if (checkpoints[k] > max) max = checkpoints[k];
    if (mode == MODE_FANOUT) in_cap = 16384;

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (use_tls) {
        ssl_ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
        /* Full handshakes only: no session cache, no tickets. Buffers released while idle. */
        SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    conns = calloc((size_t)max, sizeof *conns);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    deadline_ns = now_ns() + (uint64_t)(timeout_s * 1e9);
    int rc = mode == MODE_IDLE ? run_idle() : mode == MODE_SUBMIT ? run_submit() : run_fanout();
    return rc;
}
