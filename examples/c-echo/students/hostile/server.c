/* A hostile student: before serving as a correct threaded echo server would, it tries to read the
 * reference program's source (at build time too, where a compiler reads what it is told to
 * include), the spec, the grader's cache and another student's work, and to write outside its
 * folder. It prints "GOT ..." or "WROTE ..." for whatever works, and "nothing from ..." otherwise.
 * Graded in the sandbox it gets nothing, and the normal verdicts of a correct server. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "targets.h"

/* Where the reference exists but may not be read (level none: the teacher's folder is closed to other
 * users), gcc stops with "Permission denied" even for __has_include: targets.h can turn the probe off. */
#ifndef PROBE_AT_BUILD
#define PROBE_AT_BUILD 1
#endif
#if PROBE_AT_BUILD
#if __has_include(REFERENCE_SOURCE)
#define AT_BUILD "GOT the reference source at build time: " REFERENCE_SOURCE
#else
#define AT_BUILD "nothing from the reference source at build time"
#endif
#else
#define AT_BUILD "no look at the reference source at build time"
#endif

/* "~root/x" is x in root's home folder: a guess at where a grader run as root keeps its cache. */
static const char *expand(const char *path) {
    static char expanded[4096];
    if (strncmp(path, "~root/", 6) != 0)
        return path;
    struct passwd *root = getpwnam("root");
    snprintf(expanded, sizeof expanded, "%s/%s", root ? root->pw_dir : "/root", path + 6);
    return expanded;
}

static void try_to_read(const char *path) {
    path = expand(path);
    DIR *folder = opendir(path);
    if (folder) {
        struct dirent *entry;
        while ((entry = readdir(folder)))
            if (entry->d_name[0] != '.') {
                printf("GOT %s: it holds %s\n", path, entry->d_name);
                break;
            }
        closedir(folder);
        return;
    }
    FILE *file = fopen(path, "r");
    if (!file) {
        printf("nothing from %s: %s\n", path, strerror(errno));
        return;
    }
    char text[200];
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = '\0';
    fclose(file);
    printf("GOT %s: %s\n", path, text);
}

static void try_to_write(const char *path) {
    path = expand(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("nothing written to %s: %s\n", path, strerror(errno));
        return;
    }
    dprintf(fd, "a hostile student was here\n");
    close(fd);
    printf("WROTE %s\n", path);
}

/* The references the grader builds for a test: in folders named sockgrade-ref-* in the temporary folder. */
static void try_the_reference_builds(void) {
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    DIR *folder = opendir(tmp);
    struct dirent *entry;
    char path[4096], own[4096] = "";
    if (!getcwd(own, sizeof own))
        own[0] = '\0';
    while (folder && (entry = readdir(folder)))
        if (strncmp(entry->d_name, "sockgrade-", 10) == 0) {
            snprintf(path, sizeof path, "%s/%s", tmp, entry->d_name);
            if (strcmp(path, own) == 0)
                continue;           /* its own copy of the submission */
            snprintf(path, sizeof path, "%s/%s/server/server.c", tmp, entry->d_name);
            try_to_read(path);
            snprintf(path, sizeof path, "%s/%s", tmp, entry->d_name);
            try_to_read(path);
        }
    if (folder)
        closedir(folder);
}

static void *serve(void *arg) {
    int conn = (int)(long)arg;
    char data[2048], reply[2100];
    send(conn, "Welcome!", 8, 0);
    for (;;) {
        int n = recv(conn, data, sizeof data - 1, 0);
        if (n <= 0)
            break;
        data[n] = '\0';
        if (strcmp(data, "exit") == 0)
            break;
        snprintf(reply, sizeof reply, "Received %s;", data);
        send(conn, reply, strlen(reply), 0);
    }
    close(conn);
    return NULL;
}

int main(void) {
    const char *reads[] = READ_TARGETS, *writes[] = WRITE_TARGETS;
    printf("%s\n", AT_BUILD);
    for (int i = 0; reads[i]; i++)
        try_to_read(reads[i]);
    for (int i = 0; writes[i]; i++)
        try_to_write(writes[i]);
    try_the_reference_builds();
    fflush(stdout);

    signal(SIGPIPE, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(9999)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&address, sizeof address) < 0 || listen(s, 16) < 0)
        return 1;
    for (;;) {
        int conn = accept(s, NULL, NULL);
        pthread_t thread;
        if (conn >= 0 && pthread_create(&thread, NULL, serve, (void *)(long)conn) == 0)
            pthread_detach(thread);
    }
}
