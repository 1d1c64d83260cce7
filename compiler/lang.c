/*
 * lang.c - the language's fixed names, each in one table: its keywords
 * (the lexer reads them from here; doc and fmt ask which are hard) and its
 * built-in functions with their arities and types (the checker's rules
 * for a call come from here).
 */
#include <string.h>

#include "mapc.h"
#include "parser.h"

/*
 * KEEP IN STEP: keywords (compiler/lang.c, grammar/parser.y's %token and
 * %fallback lists, docs/editors/ grammars).  A hard keyword is never a
 * name; a soft one is a name wherever the keyword cannot stand (parser.y's
 * %fallback): `hard` must be 0 exactly for the tokens in that list.
 */
static const LangKeyword keywords[] = {
	{ "service", TK_SERVICE, 1 }, { "object", TK_OBJECT, 0 },
	{ "collection", TK_COLLECTION, 0 }, { "format", TK_FORMAT, 0 },
	{ "pair", TK_PAIR, 1 }, { "source", TK_SOURCE, 0 }, { "target", TK_TARGET, 0 },
	{ "table", TK_TABLE, 1 }, { "tracking", TK_TRACKING, 1 },
	{ "dimension", TK_DIMENSION, 1 }, { "entity", TK_ENTITY, 1 }, { "key", TK_KEY, 0 },
	{ "else", TK_ELSE, 1 }, { "fail", TK_FAIL, 0 }, { "for", TK_FOR, 1 },
	{ "in", TK_IN, 1 }, { "when", TK_WHEN, 1 }, { "check", TK_CHECK, 0 },
	{ "within", TK_WITHIN, 0 }, { "dead_letter", TK_DEAD_LETTER, 0 }, { "on", TK_ON, 1 },
	{ "if", TK_IF, 1 }, { "then", TK_THEN, 1 }, { "ref", TK_REF, 1 },
	{ "true", TK_TRUE, 1 }, { "false", TK_FALSE, 1 }, { "null", TK_NULL, 1 },
	{ "and", TK_AND, 1 }, { "or", TK_OR, 1 }, { "not", TK_NOT, 1 },
	{ "match", TK_MATCH, 0 }, { "required", TK_REQUIRED, 0 }, { "enum", TK_ENUM, 0 },
	{ "max", TK_MAX, 0 }, { "limit", TK_LIMIT, 0 }, { "env", TK_ENV, 0 },
	{ "from", TK_FROM, 0 }, { "webhook", TK_WEBHOOK, 0 }, { "poll", TK_POLL, 0 },
	{ "every", TK_EVERY, 0 }, { "http", TK_HTTP, 0 }, { "retry", TK_RETRY, 0 },
	{ "backoff", TK_BACKOFF, 0 }, { "jitter", TK_JITTER, 0 }, { "after", TK_AFTER, 0 },
	{ "header", TK_HEADER, 0 }, { "skip", TK_SKIP, 0 }, { "hold", TK_HOLD, 0 },
	{ "concurrent", TK_CONCURRENT, 0 }, { "lifecycle", TK_LIFECYCLE, 0 },
	{ "locked", TK_LOCKED, 0 }, { "wins", TK_WINS, 0 },
	{ "currency", TK_CURRENCY, 0 },
	{ "group", TK_GROUP, 0 }, { "by", TK_BY, 0 }, { "total", TK_TOTAL, 0 },
	{ NULL, 0, 0 }
};

const LangKeyword *
lang_keyword(const char *s, size_t n)
{
	for (const LangKeyword *k = keywords; k->name; k++)
		if (strlen(k->name) == n && memcmp(k->name, s, n) == 0)
			return k;
	return NULL;
}

const LangKeyword *
lang_keywords(void)
{
	return keywords;
}

#define A_STR (1u << TY_STRING)
#define A_NUM (1u << TY_INT | 1u << TY_DEC | 1u << TY_MONEY)
#define A_INT (1u << TY_INT)
#define A_DATE (1u << TY_DATE)
#define A_DT (1u << TY_DATETIME)
#define A_ARR (1u << TY_ARR)
#define A_SCALAR (A_STR | A_NUM | 1u << TY_BOOL | A_DATE | A_DT)

/*
 * The built-in functions: name, arity, what each argument may be (the
 * second entry stands for the rest; 0: anything, the rule decides), the
 * result and the rule that needs more than types.  The code generator calls
 * mw_fn_NAME in the runtime for each but sum, default and coalesce.
 */
static const LangFunc functions[] = {
	{ "lower", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	{ "upper", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	{ "trim", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	{ "substr", 2, 3, { A_STR, A_INT }, { "a string", "an integer" }, R_STRING, F_PLAIN },
	{ "replace", 3, 3, { A_STR, A_STR }, { "strings", "strings" }, R_STRING, F_REPLACE },
	{ "len", 1, 1, { A_STR | A_ARR }, { "a string or an array" }, R_INT, F_PLAIN },
	{ "date", 1, 1, { A_STR | A_DATE | A_DT }, { "a string, date or datetime" }, R_DATE,
	  F_PLAIN },
	{ "datetime", 1, 1, { A_STR | A_DT }, { "a string or datetime" }, R_DATETIME, F_PLAIN },
	{ "format_date", 2, 2, { A_DATE | A_DT, 0 }, { "a date or datetime", NULL }, R_STRING,
	  F_FORMAT },
	{ "round", 2, 2, { A_NUM, A_INT }, { "a number", "an integer number of places" }, R_DEC,
	  F_ROUND },
	{ "abs", 1, 1, { A_NUM }, { "a number" }, R_NUMBER_ARG, F_PLAIN },
	{ "default", 2, 2, { 0 }, { NULL }, R_UNIFY, F_PLAIN },
	{ "coalesce", 2, 16, { 0 }, { NULL }, R_UNIFY, F_PLAIN },
	{ "sum", 2, 2, { 0 }, { NULL }, R_SUM, F_SUM },
	{ "currency_places", 1, 1, { A_STR }, { "a currency code" }, R_INT, F_PLAIN },
	/* money: half to even in a currency's minor unit; rates into the
	 * pair's base currency (runtime/transform/money.c) */
	{ "money", 2, 2, { A_NUM, A_STR }, { "a number", "a currency code" }, R_DEC, F_PLAIN },
	{ "base_currency", 0, 0, { 0 }, { NULL }, R_STRING, F_RATE },
	{ "rate", 2, 2, { A_STR, A_STR | A_DATE | A_DT }, { "a currency code", "a date" }, R_DEC,
	  F_RATE },
	{ "rate_date", 2, 2, { A_STR, A_STR | A_DATE | A_DT }, { "a currency code", "a date" },
	  R_DATE, F_RATE },
	/* the other way: units of code per unit of the base (Xero's CurrencyRate) */
	{ "rate_per_base", 2, 2, { A_STR, A_STR | A_DATE | A_DT }, { "a currency code", "a date" },
	  R_DEC, F_RATE },
	{ "convert", 3, 3, { A_NUM, 0 }, { "a number", NULL }, R_DEC, F_RATE },
	{ "string", 1, 1, { A_SCALAR }, { "a plain value" }, R_STRING, F_PLAIN },
	{ "decimal", 1, 1, { A_STR | A_NUM }, { "a string or number" }, R_DEC, F_PLAIN },
	{ "integer", 1, 1, { A_STR | A_NUM }, { "a string or number" }, R_INT, F_PLAIN },
	/* SKU matching: normalised product codes (docs/language.md, Functions) */
	{ "sku", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	/* postal addresses (runtime/transform/addr.c) */
	{ "country_code", 1, 1, { A_STR }, { "a country" }, R_STRING, F_PLAIN },
	{ "country_name", 1, 1, { A_STR }, { "a country" }, R_STRING, F_PLAIN },
	{ "region_code", 2, 2, { A_STR, A_STR }, { "a country", "a region" }, R_STRING, F_PLAIN },
	{ "tidy", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	{ "title", 1, 1, { A_STR }, { "a string" }, R_STRING, F_PLAIN },
	{ "postal_code", 1, 1, { A_STR }, { "a postal code" }, R_STRING, F_PLAIN },
	{ NULL, 0, 0, { 0 }, { NULL }, 0, 0 }
};

const LangFunc *
lang_function(const char *name)
{
	for (const LangFunc *f = functions; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const LangFunc *
lang_functions(void)
{
	return functions;
}
