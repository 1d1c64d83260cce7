/*
 * test_conn_clarity.c - the Clarity connector's writes back to the store
 * (runtime/conn/conn_clarity.c) against the sandbox (the binary in
 * $MW_SANDBOX, seeded): an inventory level is the product's quantityOnHand
 * and a record of the sandbox's `inventory`; an order status changes the
 * order's status and updatedAt; a shipment is created once for a request
 * key sent twice, and updated by its id; an unknown sku or order, a status
 * the store does not have, a void: the document's own permanent refusal;
 * find by sku, orderId, shipments by orderId and trackingNumber; the caps
 * say so.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn.h"
#include "sandbox.h"

#define CHECK_AREA "conn_clarity"
#include "check.h"

static char root[128], base_url[160];
static http_client *plain;

static const char *
setting(void *arg, const char *key)
{
	(void)arg;
	if (!strcmp(key, "base_url"))
		return base_url;
	if (!strcmp(key, "client_id"))
		return "sandbox-client";
	if (!strcmp(key, "client_secret"))
		return "sandbox-secret";
	return NULL;
}

static int
keep_text(void *arg, const char *json, size_t len, const char *stamp)
{
	(void)stamp;
	json_t **out = arg;
	json_decref(*out);
	*out = json_loadb(json, len, 0, NULL);
	return 0;
}

/* The record of the store's `coll` with key id, as the connector gets it. */
static json_t *
record(conn *c, const char *coll, const char *id)
{
	json_t *j = NULL;
	conn_result res;
	conn_clarity.get(c, coll, id, keep_text, &j, &res);
	return j;
}

/* One document written alone under key; its item. */
static conn_item
write_one(conn *c, const char *type, const char *doc, const char *key, const char *target,
	int *rc)
{
	conn_item it = sb_item(type, doc, key);
	conn_result res;
	it.target_id = target;
	*rc = conn_clarity.write(c, key, &it, 1, &res);
	return it;
}

/* How many of the sandbox's records of coll (GET /_sandbox/records) have
 * member `field` equal to value. */
static int
count_records(const char *coll, const char *field, const char *value)
{
	char url[300], err[256];
	http_request req = { "GET", url, NULL, 0, NULL, 0, 10000, 0 };
	http_response r;
	int n = 0;
	snprintf(url, sizeof url, "%s/_sandbox/records?service=clarity&collection=%s", root, coll);
	if (http_do(plain, &req, &r, err, sizeof err) != 0)
		return -1;
	for (const char *p = r.body; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_t *j = json_loadb(p, len, 0, NULL);
		const char *v = json_string_value(json_object_get(j, field));
		n += v && !strcmp(v, value);
		json_decref(j);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

int
main(void)
{
	const char *bin = getenv("MW_SANDBOX");
	if (!bin || !*bin) {
		printf("[FAIL] unit/conn_clarity: MW_SANDBOX not set\n");
		return 1;
	}
	char dir[] = "/tmp/mw-conn-clarity-XXXXXX", detail[1400];
	const char *const extra[] = { "--seed", "5", "--orders", "10", NULL };
	pid_t pid;
	if (!mkdtemp(dir) || (pid = sb_start(bin, dir, extra, root, sizeof root)) < 0 ||
	    http_client_new(&plain, "test", 16u << 20) != 0) {
		printf("[FAIL] unit/conn_clarity: cannot start %s\n", bin);
		return 1;
	}
	snprintf(base_url, sizeof base_url, "%s/clarity", root);
	conn_env env = { "clarity_ecommerce", setting, NULL, NULL, NULL, NULL, 10000, NULL };
	const conn_ops *ops = &conn_clarity;
	conn *c = NULL;
	conn_result res;
	int rc = ops->open(&env, &c, &res);
	check(rc == 0, "open", res.text);
	check(conn_can(ops, "InventoryLevel", CONN_CAN_WRITE) &&
	      conn_can(ops, "OrderStatus", CONN_CAN_WRITE) &&
	      conn_can(ops, "Shipment", CONN_CAN_WRITE) && conn_can(ops, "products", CONN_CAN_LIST) &&
	      !conn_can(ops, "InventoryLevel", CONN_CAN_LIST), "caps", "conn_clarity.caps");

	/* an inventory level: the product's quantityOnHand, the rest as it was */
	json_t *before = record(c, "products", "MUG-01");
	conn_item it = write_one(c, "InventoryLevel", "{\"sku\":\"MUG-01\",\"quantityOnHand\":37}",
		"k-inv-1", NULL, &rc);
	json_t *after = record(c, "products", "MUG-01");
	snprintf(detail, sizeof detail, "rc %d, %s %s", rc, it.id, it.res.text);
	check(rc == 0 && it.res.cls == HTTP_OK && !strcmp(it.id, "MUG-01") &&
	      json_integer_value(json_object_get(after, "quantityOnHand")) == 37 &&
	      json_equal(json_object_get(after, "price"), json_object_get(before, "price")) &&
	      json_equal(json_object_get(after, "updatedAt"), json_object_get(before, "updatedAt")),
	      "inventory-write", detail);
	json_decref(before);
	json_decref(after);
	check(count_records("inventory", "sku", "MUG-01") == 1, "inventory-record",
		"GET /_sandbox/records?collection=inventory");
	it = write_one(c, "InventoryLevel", "{\"quantityOnHand\":3}", "k-inv-2", "MUG-01", &rc);
	after = record(c, "products", "MUG-01");
	check(rc == 0 && it.res.cls == HTTP_OK &&
	      json_integer_value(json_object_get(after, "quantityOnHand")) == 3,
	      "inventory-update-by-id", it.res.text);
	json_decref(after);
	it = write_one(c, "InventoryLevel", "{\"sku\":\"NOPE-1\",\"quantityOnHand\":1}", "k-inv-3",
		NULL, &rc);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && it.res.status == 404,
		"inventory-unknown-sku-permanent", it.res.text);
	it = write_one(c, "InventoryLevel", "{\"sku\":\"MUG-01\",\"quantityOnHand\":1.5}", "k-inv-4",
		NULL, &rc);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && it.res.status == 400 &&
	      strstr(it.res.text, "whole number"), "inventory-bad-quantity-in-its-words",
	      it.res.text);

	/* an order's status: its status and updatedAt change */
	json_t *o = record(c, "orders", "SO-100003");
	char was[40] = "";
	snprintf(was, sizeof was, "%s", json_string_value(json_object_get(o, "updatedAt")));
	json_decref(o);
	it = write_one(c, "OrderStatus", "{\"orderId\":\"SO-100003\",\"status\":\"fulfilled\"}",
		"k-st-1", NULL, &rc);
	o = record(c, "orders", "SO-100003");
	const char *now = json_string_value(json_object_get(o, "updatedAt"));
	snprintf(detail, sizeof detail, "rc %d, %s: %s, updatedAt %s was %s", rc, it.id,
		it.res.text, now ? now : "-", was);
	check(rc == 0 && it.res.cls == HTTP_OK && !strcmp(it.id, "SO-100003") &&
	      !strcmp(json_string_value(json_object_get(o, "status")), "fulfilled") && now &&
	      strcmp(now, was) > 0, "order-status", detail);
	json_decref(o);
	it = write_one(c, "OrderStatus", "{\"orderId\":\"SO-1\",\"status\":\"fulfilled\"}",
		"k-st-2", NULL, &rc);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && it.res.status == 404,
		"order-status-unknown-order", it.res.text);
	it = write_one(c, "OrderStatus", "{\"orderId\":\"SO-100003\",\"status\":\"shipped\"}",
		"k-st-3", NULL, &rc);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && it.res.status == 400,
		"order-status-not-the-stores", it.res.text);

	/* a shipment: created once for a key sent twice, then updated by id */
	const char *ship = "{\"orderId\":\"SO-100004\",\"status\":\"shipped\",\"carrier\":\"UPS\","
		"\"trackingNumber\":\"1Z999\",\"shippedAt\":\"2026-12-01T10:00:00Z\","
		"\"lineItems\":[{\"sku\":\"MUG-01\",\"quantity\":2}]}";
	conn_item s1 = write_one(c, "Shipment", ship, "k-sh-1", NULL, &rc);
	conn_item s2 = write_one(c, "Shipment", ship, "k-sh-1", NULL, &rc);
	snprintf(detail, sizeof detail, "%s %s / %s", s1.id, s1.res.text, s2.id);
	check(s1.res.cls == HTTP_OK && !strncmp(s1.id, "SH-", 3) && !strcmp(s1.id, s2.id) &&
	      count_records("shipments", "orderId", "SO-100004") == 1, "shipment-create-once",
	      detail);
	it = write_one(c, "Shipment", "{\"orderId\":\"SO-100004\",\"carrier\":\"DHL\"}", "k-sh-2",
		s1.id, &rc);
	json_t *sh = record(c, "shipments", s1.id);
	check(rc == 0 && it.res.cls == HTTP_OK && !strcmp(it.id, s1.id) &&
	      !strcmp(json_string_value(json_object_get(sh, "carrier")), "DHL") &&
	      !strcmp(json_string_value(json_object_get(sh, "trackingNumber")), "1Z999"),
	      "shipment-update", it.res.text);
	json_decref(sh);
	it = write_one(c, "Shipment", "{\"orderId\":\"SO-1\",\"carrier\":\"UPS\"}", "k-sh-3", NULL,
		&rc);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && it.res.status == 422,
		"shipment-unknown-order", it.res.text);
	it = sb_item("Shipment", ship, "k-sh-4");
	it.op = CONN_OP_VOID;
	it.target_id = s1.id;
	rc = ops->write(c, "k-sh-4", &it, 1, &res);
	check(rc == 0 && it.res.cls == HTTP_PERMANENT && strstr(it.res.text, "voids no such"),
		"void-refused", it.res.text);

	/* find: by the record's key, and shipments by order and tracking number */
	conn_found f;
	rc = conn_find_one(ops, c, "InventoryLevel", "sku", "MUG-01", &f, &res);
	check(rc == 0 && !strcmp(f.ids[0], "MUG-01"), "find-sku", res.text);
	rc = conn_find_one(ops, c, "InventoryLevel", "sku", "NOPE-1", &f, &res);
	check(rc == 1, "find-sku-none", res.text);
	rc = conn_find_one(ops, c, "OrderStatus", "orderId", "SO-100003", &f, &res);
	check(rc == 0 && !strcmp(f.ids[0], "SO-100003"), "find-order", res.text);
	rc = conn_find_one(ops, c, "Shipment", "orderId", "SO-100004", &f, &res);
	check(rc == 0 && !strcmp(f.ids[0], s1.id), "find-shipment-by-order", res.text);
	rc = conn_find_one(ops, c, "Shipment", "trackingNumber", "1Z999", &f, &res);
	check(rc == 0 && !strcmp(f.ids[0], s1.id), "find-shipment-by-tracking", res.text);
	rc = conn_find_one(ops, c, "Shipment", "carrier", "UPS", &f, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "find-unknown-field-refused", res.text);

	ops->close(c);
	http_client_free(plain);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return failures ? 1 : 0;
}
