/*
 * registry.c - the connectors by service name: the one place that lists
 * them all (adding a service: its module, a line here, a schema file).
 * Apart from the helpers they share (conn.c), so that no connector and
 * the file it calls into reference each other.
 */
#include <string.h>

#include "conn.h"

/* One line per service; the name is the schema's (mappings/schemas/). */
static const conn_ops *const registry[] = {
	&conn_xero,
	&conn_intacct,
	&conn_clarity,
	&conn_qbo,
	&conn_nop,
};

const conn_ops *
conn_find_ops(const char *service)
{
	for (size_t i = 0; i < sizeof registry / sizeof *registry; i++)
		if (strcmp(registry[i]->service, service) == 0)
			return registry[i];
	return NULL;
}
