/* cat: the key-value store in C, a thread per connection. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_KEYS 256
#define TEXT 128

static char keys[MAX_KEYS][TEXT], values[MAX_KEYS][TEXT];
static int used[MAX_KEYS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int find(const char *key) {
    for (int i = 0; i < MAX_KEYS; i++)
        if (used[i] && strcmp(keys[i], key) == 0) return i;
    return -1;
}

static void answer(char *line, char *reply) {
    char *fields[4] = {0};
    int n = 0;
    char *rest = line, *field;
    while (n < 4 && (field = strsep(&rest, ";")) != NULL) fields[n++] = field;
    pthread_mutex_lock(&lock);
    if (n == 3 && strcmp(fields[0], "set") == 0) {
        int i = find(fields[1]);
        for (int j = 0; i < 0 && j < MAX_KEYS; j++) if (!used[j]) i = j;
        if (i < 0) { strcpy(reply, "ERROR: full"); }
        else {
            used[i] = 1;
            snprintf(keys[i], TEXT, "%s", fields[1]);
            snprintf(values[i], TEXT, "%s", fields[2]);
            strcpy(reply, "OK");
        }
    } else if (n == 2 && strcmp(fields[0], "get") == 0) {
        int i = find(fields[1]);
        snprintf(reply, TEXT, "%s", i < 0 ? "Not found" : values[i]);
    } else if (n == 2 && strcmp(fields[0], "del") == 0) {
        int i = find(fields[1]);
        if (i >= 0) used[i] = 0;
        strcpy(reply, i < 0 ? "Not found" : "deleted");
    } else if (n == 1 && strcmp(fields[0], "count") == 0) {
        int count = 0;
        for (int j = 0; j < MAX_KEYS; j++) count += used[j];
        snprintf(reply, TEXT, "%d", count);
    } else {
        strcpy(reply, "ERROR: bad command");
    }
    pthread_mutex_unlock(&lock);
}

static void *serve(void *arg) {
    int conn = (int)(long)arg;
    char line[1024], reply[TEXT];
    for (;;) {
        ssize_t got = recv(conn, line, sizeof line - 1, 0);
        if (got <= 0) break;
        line[got] = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (strcmp(line, "quit") == 0) {
            send(conn, "bye", 3, MSG_NOSIGNAL);
            break;
        }
        answer(line, reply);
        send(conn, reply, strlen(reply), MSG_NOSIGNAL);
    }
    close(conn);
    return NULL;
}

int main(int argc, char **argv) {
    int port = 9999;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 5) < 0) {
        perror("bind");
        return 1;
    }
    for (;;) {
        int conn = accept(s, NULL, NULL);
        if (conn < 0) continue;
        pthread_t thread;
        pthread_create(&thread, NULL, serve, (void *)(long)conn);
        pthread_detach(thread);
    }
}
