/*
 * aic-healthcheck: a static HTTP/1.0 probe for Docker HEALTHCHECK.
 *
 * CUDA, Ubuntu-minimal and distroless bases ship neither curl nor wget, and installing one costs
 * an apt layer and a CVE surface. This probe is linked statically (no libraries), so it runs on
 * any Linux base, and it only speaks plain HTTP to a numeric IPv4/IPv6 address: a health check
 * talks to its own container. Exit 0 on a 2xx/3xx status, 1 otherwise (Docker's contract).
 *
 * usage: aic-healthcheck [--port-from VARIABLE]... http://127.0.0.1:8080/health [timeout-seconds]
 *
 * --port-from: the port is read at probe time from the named environment variable, so a container run
 * with another port (`-e ASPNETCORE_HTTP_PORTS=9000`) is probed where the app really listens. Variables
 * are tried in the order given; the first that names a port wins, else the URL's port is used. A value
 * is a ';'-separated list (ASP.NET's ASPNETCORE_HTTP_PORTS and ASPNETCORE_URLS); its first usable entry
 * counts: a bare port ("9000"), or an http:// URL ("http://+:9000", "http://[::]:9000"; no port means
 * 80). https:// entries are skipped: the probe speaks plain HTTP. The container's environment is the
 * app's environment (Docker runs HEALTHCHECK with the container's env), so probe and app read one fact.
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

/* A port 1..65535 from exactly the digits in [text, text+len), else 0. */
static int parse_port(const char *text, size_t len) {
    if (len == 0 || len > 5) return 0;
    int port = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') return 0;
        port = port * 10 + (text[i] - '0');
    }
    return port >= 1 && port <= 65535 ? port : 0;
}

/* The port one list entry names: "9000", "http://host:9000[/path]", "http://host" (80); 0 when none (https, junk). */
static int entry_port(const char *entry, size_t len) {
    while (len > 0 && (*entry == ' ' || *entry == '\t')) { entry++; len--; }
    while (len > 0 && (entry[len - 1] == ' ' || entry[len - 1] == '\t')) len--;
    if (len == 0) return 0;
    if (len < 7 || strncmp(entry, "http://", 7) != 0) return parse_port(entry, len);
    const char *host = entry + 7;
    size_t hlen = len - 7;
    const char *slash = memchr(host, '/', hlen);
    if (slash != NULL) hlen = (size_t)(slash - host);
    const char *after = host;
    if (hlen > 0 && host[0] == '[') {
        const char *end = memchr(host, ']', hlen);
        if (end == NULL) return 0;
        after = end + 1;
    }
    const char *colon = memchr(after, ':', hlen - (size_t)(after - host));
    if (colon == NULL) return 80;
    return parse_port(colon + 1, hlen - (size_t)(colon + 1 - host));
}

/* The first usable port in a ';'-separated list, 0 when there is none. */
static int port_from_list(const char *value) {
    while (value != NULL && *value != '\0') {
        const char *semi = strchr(value, ';');
        size_t len = semi != NULL ? (size_t)(semi - value) : strlen(value);
        int port = entry_port(value, len);
        if (port > 0) return port;
        value = semi != NULL ? semi + 1 : NULL;
    }
    return 0;
}

int main(int argc, char **argv) {
    int env_port = 0;
    int arg = 1;
    while (arg + 1 < argc && strcmp(argv[arg], "--port-from") == 0) {
        if (env_port == 0) env_port = port_from_list(getenv(argv[arg + 1]));
        arg += 2;
    }
    if (arg >= argc || strncmp(argv[arg], "--", 2) == 0)
        return fail("usage: aic-healthcheck [--port-from VARIABLE]... http://127.0.0.1:PORT/PATH [timeout-seconds]");
    const char *url = argv[arg];
    int timeout = arg + 1 < argc ? atoi(argv[arg + 1]) : 10;
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
    if (env_port > 0) {
        port = env_port;
        /* The Host header names the port really probed. */
        int n = strchr(addr, ':') != NULL ? snprintf(hostport, sizeof hostport, "[%s]:%d", addr, port)
                                          : snprintf(hostport, sizeof hostport, "%s:%d", addr, port);
        if (n < 0 || (size_t)n >= sizeof hostport) return fail("host too long in URL");
    }

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
