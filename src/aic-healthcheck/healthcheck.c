/*
 * aic-healthcheck: a static HTTP/1.0 probe for Docker HEALTHCHECK.
 *
 * CUDA, Ubuntu-minimal and distroless bases ship neither curl nor wget, and installing one costs
 * an apt layer and a CVE surface. This probe is linked statically (no libraries), so it runs on
 * any Linux base, and it only speaks plain HTTP to a numeric IPv4/IPv6 address: a health check
 * talks to its own container. Exit 0 on a 2xx/3xx status, 1 otherwise (Docker's contract).
 *
 * usage: aic-healthcheck http://127.0.0.1:8080/health [timeout-seconds]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; _exit(1); }

static int fail(const char *what) {
    fprintf(stderr, "aic-healthcheck: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return fail("usage: aic-healthcheck http://127.0.0.1:PORT/PATH [timeout-seconds]");
    const char *url = argv[1];
    int timeout = argc > 2 ? atoi(argv[2]) : 10;
    if (timeout <= 0) timeout = 10;
    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);

    if (strncmp(url, "http://", 7) != 0) return fail("only http:// URLs are supported");
    const char *host = url + 7;
    const char *path = strchr(host, '/');
    if (path == NULL) path = "/";

    char hostport[256];
    size_t hlen = (size_t)(strchr(host, '/') ? (size_t)(strchr(host, '/') - host) : strlen(host));
    if (hlen == 0 || hlen >= sizeof hostport) return fail("bad host in URL");
    memcpy(hostport, host, hlen);
    hostport[hlen] = '\0';

    char addr[256];
    int port = 80;
    if (hostport[0] == '[') {
        char *end = strchr(hostport, ']');
        if (end == NULL) return fail("bad IPv6 address in URL");
        size_t alen = (size_t)(end - hostport - 1);
        memcpy(addr, hostport + 1, alen);
        addr[alen] = '\0';
        if (end[1] == ':') port = atoi(end + 2);
    } else {
        char *colon = strrchr(hostport, ':');
        if (colon != NULL) { *colon = '\0'; port = atoi(colon + 1); }
        strcpy(addr, strcmp(hostport, "localhost") == 0 ? "127.0.0.1" : hostport);
    }
    if (port <= 0 || port > 65535) return fail("bad port in URL");

    int fd;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, addr, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((unsigned short)port);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&v4, sizeof v4) != 0) return fail("connection refused");
    } else if (inet_pton(AF_INET6, addr, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((unsigned short)port);
        fd = socket(AF_INET6, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&v6, sizeof v6) != 0) return fail("connection refused");
    } else {
        return fail("the host must be a numeric address (the container probes itself)");
    }

    char request[2048];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: aic-healthcheck\r\nConnection: close\r\n\r\n", path, hostport);
    if (n <= 0 || (size_t)n >= sizeof request) return fail("URL too long");
    if (write(fd, request, (size_t)n) != n) return fail("write failed");

    char status[64];
    size_t got = 0;
    while (got < sizeof status - 1) {
        ssize_t r = read(fd, status + got, sizeof status - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        if (memchr(status, '\n', got)) break;
    }
    status[got] = '\0';
    close(fd);
    /* "HTTP/1.1 200 OK" */
    char *space = strchr(status, ' ');
    if (strncmp(status, "HTTP/", 5) != 0 || space == NULL) return fail("not an HTTP response");
    int code = atoi(space + 1);
    if (code >= 200 && code < 400) return 0;
    fprintf(stderr, "aic-healthcheck: %s answered %d\n", url, code);
    return 1;
}
