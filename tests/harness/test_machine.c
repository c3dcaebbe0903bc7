/*
 * tests/harness/test_machine.c — machine identity as results cite it.
 */
#include "../ptc_test.h"
#include "common/machine.h"

#include <ctype.h>
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
    strcpy(m.cpu_model, "  Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz ");
    ptc_machine_slug(&m, slug, sizeof slug);
    ptc_check(ctx, strcmp(slug, "intel-r-xeon-r-gold-6338-cpu-2-00ghz") == 0, "slug '%s'", slug);
}
