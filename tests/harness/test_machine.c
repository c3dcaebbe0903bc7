/*
 * tests/harness/test_machine.c — machine identity as results cite it.
 */
#include "../ptc_test.h"
#include "common/machine.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

PTC_TEST(machine_describe_and_slug)
{
    ptc_machine m;
    char err[128], slug[128];
    if (!ptc_check(ctx, ptc_machine_describe(&m, err, sizeof err) == 0, "describe: %s", err))
        return;
    ptc_check(ctx, m.cpu_model[0] != '\0', "empty CPU model");
    ptc_check(ctx, m.cores >= 1 && m.pus >= m.cores, "cores %u, hardware threads %u", m.cores, m.pus);
    ptc_machine_slug(&m, slug, sizeof slug);
    ptc_check(ctx, slug[0] != '\0', "empty slug");
    for (const char *p = slug; *p; p++)
        if (!ptc_check(ctx, islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-',
                       "slug '%s' has '%c'", slug, *p))
            break;
#if defined(__x86_64__)
    ptc_check(ctx, m.x86_family > 0 && m.x86_model >= 0, "x86 family %d model %d not read", m.x86_family,
              m.x86_model);
    char tail[32];
    snprintf(tail, sizeof tail, "-f%d-m%d", m.x86_family, m.x86_model);
    const size_t ls = strlen(slug), lt = strlen(tail);
    ptc_check(ctx, ls > lt && strcmp(slug + ls - lt, tail) == 0, "slug '%s' does not end with '%s'", slug, tail);
#endif
    strcpy(m.cpu_model, "  Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz ");
    m.x86_family = -1;
    m.x86_model = -1;
    ptc_machine_slug(&m, slug, sizeof slug);
    ptc_check(ctx, strcmp(slug, "intel-r-xeon-r-gold-6338-cpu-2-00ghz") == 0, "slug '%s'", slug);
    /* one generic name, two cores: Zen 3 and Zen 4 under a VM that shows "AMD EPYC" */
    char zen3[128], zen4[128];
    strcpy(m.cpu_model, "AMD EPYC");
    m.x86_family = 25;
    m.x86_model = 1;
    ptc_machine_slug(&m, zen3, sizeof zen3);
    m.x86_model = 17;
    ptc_machine_slug(&m, zen4, sizeof zen4);
    ptc_check(ctx, strcmp(zen3, "amd-epyc-f25-m1") == 0, "Zen 3 slug '%s'", zen3);
    ptc_check(ctx, strcmp(zen4, "amd-epyc-f25-m17") == 0, "Zen 4 slug '%s'", zen4);
    /* a zeroed struct (family 0) and a buffer too short for the suffix keep the name alone */
    m.x86_family = 0;
    ptc_machine_slug(&m, slug, sizeof slug);
    ptc_check(ctx, strcmp(slug, "amd-epyc") == 0, "family 0 slug '%s'", slug);
    m.x86_family = 25;
    ptc_machine_slug(&m, slug, 12);
    ptc_check(ctx, strcmp(slug, "amd-epyc") == 0, "short-buffer slug '%s'", slug);
}
