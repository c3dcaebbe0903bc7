/*
 * harness/common/rows.c — rows and result documents written and read back
 * (contract: harness/common/rows.h).
 */
#define _GNU_SOURCE
#include "common/rows.h"
#include "common/rows_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ptc_row_line(const json_t *row)
{
    char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (!s)
        return NULL;
    const size_t n = strlen(s);
    char *line = malloc(n + 2);
    if (line) {
        memcpy(line, s, n);
        line[n] = '\n';
        line[n + 1] = '\0';
    }
    free(s);
    return line;
}

int ptc_rows_append_line(int fd, const char *line)
{
    size_t left = strlen(line);
    const char *p = line;
    while (left > 0) {
        const ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
}

long ptc_rows_repair_tail(const char *path)
{
    const int fd = open(path, O_RDWR);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    off_t end = st.st_size;
    char buf[4096];
    off_t keep = 0; /* bytes up to and including the last '\n' */
    while (end > 0) {
        const off_t start = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
        const ssize_t n = pread(fd, buf, (size_t)(end - start), start);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        ssize_t i = n - 1;
        while (i >= 0 && buf[i] != '\n')
            i--;
        if (i >= 0) {
            keep = start + i + 1;
            break;
        }
        end = start;
    }
    const long dropped = (long)(st.st_size - keep);
    if (dropped > 0 && ftruncate(fd, keep) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return dropped;
}

int ptc_rows_ok_ids(const char *path, char ***ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    FILE *quiet = fopen("/dev/null", "w");
    ptc_load_opts lo = {.diag = quiet, .prog = "rows"};
    ptc_rowset set;
    ptc_rows_init(&set);
    const int rc = ptc_rows_load(&set, path, &lo);
    if (quiet)
        fclose(quiet);
    char **list = rc == 0 && set.n ? calloc(set.n, sizeof *list) : NULL;
    size_t n_ids = 0;
    for (size_t i = 0; list && i < set.n; i++) {
        const char *status = ptc_row_str(set.rows[i].obj, "status");
        const char *id = ptc_row_str(set.rows[i].obj, "config_id");
        if (status && id && strcmp(status, "ok") == 0 && !ptc_rows_contains(list, n_ids, id))
            list[n_ids++] = strdup(id);
    }
    ptc_rows_free(&set);
    *ids = list;
    *n = n_ids;
    return rc == 0 ? 0 : -1;
}

void ptc_rows_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

bool ptc_rows_contains(char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

int ptc_rows_append(const char *path, const json_t *row)
{
    char *line = ptc_row_line(row);
    if (!line) {
        errno = ENOMEM;
        return -1;
    }
    const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : ptc_rows_append_line(fd, line);
    const int saved = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -1;
    free(line);
    errno = rc ? saved : errno;
    return rc;
}

int ptc_run_mark_unfinished(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" PTC_RUN_UNFINISHED, dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("this run is being written, or stopped before it finished (its writer removes this "
          "file when it finishes; `--resume` continues it)\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

int ptc_run_mark_finished(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" PTC_RUN_UNFINISHED, dir);
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int ptc_json_write_file(const char *path, const json_t *doc, int precision)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                         (precision > 0 ? JSON_REAL_PRECISION(precision) : 0);
    if (json_dump_file(doc, tmp, flags) != 0) {
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void ptc_fput_quoted(FILE *f, const char *s, char quote)
{
    fputc(quote, f);
    for (; *s; s++) {
        if (*s == quote)
            fputc(quote, f);
        fputc(*s, f);
    }
    fputc(quote, f);
}

void ptc_csv_field(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")])
        fputs(s, f);
    else
        ptc_fput_quoted(f, s, '"');
}

void ptc_csv_header(FILE *f, const char *const *columns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        ptc_csv_field(f, columns[i]);
    }
    fputc('\n', f);
}

void ptc_csv_row(FILE *f, const json_t *row, const char *const *columns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        const json_t *v = json_object_get(row, columns[i]);
        if (json_is_string(v))
            ptc_csv_field(f, json_string_value(v));
        else if (json_is_integer(v))
            fprintf(f, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            fprintf(f, "%.10g", json_real_value(v));
        else if (json_is_boolean(v))
            fputs(json_is_true(v) ? "true" : "false", f);
    }
    fputc('\n', f);
}
