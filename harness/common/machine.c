/*
 * harness/common/machine.c — machine identity (contract in machine.h).
 *
 * hwloc path: the topology's Package objects give the CPUModel info string and
 * the cache objects give sizes. procfs path (no hwloc, e.g. the aarch64 cross
 * build): "model name" (x86) or "CPU part" (Arm) from /proc/cpuinfo, counts from
 * sysconf, cache sizes from /sys/devices/system/cpu/cpu0/cache. Both paths take
 * the x86 family and model numbers from /proc/cpuinfo, in the same single pass
 * that reads the model name when hwloc has none (read_cpuinfo).
 */
#include "common/machine.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if PTC_WITH_HWLOC
#include <hwloc.h>
#endif

static void set_model(ptc_machine *m, const char *model)
{
    while (model && isspace((unsigned char)*model))
        model++;
    snprintf(m->cpu_model, sizeof m->cpu_model, "%s", model && *model ? model : "unknown");
    size_t n = strlen(m->cpu_model);
    while (n > 0 && isspace((unsigned char)m->cpu_model[n - 1]))
        m->cpu_model[--n] = '\0';
}

/* One pass over /proc/cpuinfo for the first processor: the x86 "cpu family : 25" and
 * "model : 1" (Arm's /proc/cpuinfo has neither: both stay -1) and, when `name` is
 * set, the model name ("model name" on x86, "Model" on Arm; "unknown" without one). */
static void read_cpuinfo(ptc_machine *m, bool name)
{
    m->x86_family = -1;
    m->x86_model = -1;
    if (name)
        set_model(m, NULL);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    if (!f)
        return;
    bool need_name = name;
    while ((need_name || m->x86_family < 0 || m->x86_model < 0) && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        if (need_name && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0)) {
            colon[strcspn(colon, "\n")] = '\0';
            set_model(m, colon + 1);
            need_name = false;
            continue;
        }
        char key[32];
        size_t k = (size_t)(colon - line);
        while (k > 0 && isspace((unsigned char)line[k - 1]))
            k--;
        if (k >= sizeof key)
            continue;
        memcpy(key, line, k);
        key[k] = '\0';
        char *end;
        const long v = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || v < 0 || v > 4095)
            continue;
        if (strcmp(key, "cpu family") == 0 && m->x86_family < 0)
            m->x86_family = (int)v;
        else if (strcmp(key, "model") == 0 && m->x86_model < 0)
            m->x86_model = (int)v;
    }
    fclose(f);
    if (m->x86_family < 0 || m->x86_model < 0)
        m->x86_family = m->x86_model = -1;
}

#if PTC_WITH_HWLOC
static size_t first_cache_size(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, 0);
    return obj && obj->attr ? (size_t)obj->attr->cache.size : 0;
}

static int describe_hwloc(ptc_machine *m, char *err, size_t errlen)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
        snprintf(err, errlen, "hwloc could not load the topology");
        return -1;
    }
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (model)
        set_model(m, model);
    read_cpuinfo(m, !model);
    m->packages = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    m->cores = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    m->pus = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    m->l1d_bytes = first_cache_size(topo, HWLOC_OBJ_L1CACHE);
    m->l2_bytes = first_cache_size(topo, HWLOC_OBJ_L2CACHE);
    m->l3_bytes = first_cache_size(topo, HWLOC_OBJ_L3CACHE);
    m->source = "hwloc";
    hwloc_topology_destroy(topo);
    return 0;
}
#endif

static size_t sysfs_cache_size(int level, const char *kind)
{
    for (int index = 0; index < 8; index++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int lv = fgets(buf, sizeof buf, f) ? atoi(buf) : -1;
        fclose(f);
        if (lv != level)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        f = fopen(path, "r");
        int type_ok = f && fgets(buf, sizeof buf, f) && strncmp(buf, kind, strlen(kind)) == 0;
        if (f)
            fclose(f);
        if (!type_ok)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        f = fopen(path, "r");
        size_t size = 0;
        if (f && fgets(buf, sizeof buf, f)) {
            char *end;
            size = strtoul(buf, &end, 10);
            if (*end == 'K') size *= 1024;
            else if (*end == 'M') size *= 1024 * 1024;
        }
        if (f)
            fclose(f);
        return size;
    }
    return 0;
}

static int describe_procfs(ptc_machine *m)
{
    read_cpuinfo(m, true);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->packages = 1;
    m->pus = n > 0 ? (unsigned)n : 1;
    m->cores = m->pus;
    m->l1d_bytes = sysfs_cache_size(1, "Data");
    m->l2_bytes = sysfs_cache_size(2, "Unified");
    m->l3_bytes = sysfs_cache_size(3, "Unified");
    m->source = "procfs";
    return 0;
}

int ptc_machine_describe(ptc_machine *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
#if PTC_WITH_HWLOC
    if (describe_hwloc(m, err, errlen) == 0)
        return 0;
    memset(m, 0, sizeof *m);
#endif
    (void)err, (void)errlen;
    return describe_procfs(m);
}

void ptc_machine_slug(const ptc_machine *m, char *out, size_t len)
{
    size_t o = 0;
    int dash = 0;
    for (const char *p = m->cpu_model; *p && o + 1 < len; p++) {
        if (isalnum((unsigned char)*p)) {
            if (dash && o > 0 && o + 2 < len)
                out[o++] = '-';
            out[o++] = (char)tolower((unsigned char)*p);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    if (o == 0 && len > 8)
        o = (size_t)snprintf(out, len, "unknown");
    out[o < len ? o : len - 1] = '\0';
    if (m->x86_family > 0 && m->x86_model >= 0 && o < len) { /* 0: a zeroed, undescribed struct */
        char suffix[32];
        snprintf(suffix, sizeof suffix, "-f%d-m%d", m->x86_family, m->x86_model);
        if (o + strlen(suffix) < len)
            memcpy(out + o, suffix, strlen(suffix) + 1);
    }
}
