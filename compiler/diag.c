/*
 * diag.c - diagnostics as rustc prints them, each with its stable code:
 *
 *   file:line:col: error[E044]: message
 *    12 |   AcountCode = payment_gl[paymentInfo.method]
 *       |   ^~~~~~~~~~
 *
 * Errors are counted, never fatal: the checker reports every problem and
 * only main() decides to stop.  Suggestions ("did you mean") come from the
 * optimal string alignment distance between names.
 *
 * The codes are the table DIAG_CODES in mapc.h; `mapc --explain CODE`
 * prints the code's section of docs/errors.md, which the build compiles
 * into the table diag_docs (compiler/errdocs.awk), so the two cannot
 * drift apart.
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"

int diag_errors, diag_warnings, diag_werror;

/* Where line `line` of f starts.  Each file's line starts are found once
 * (10,000 diagnostics in a long file each read it from the top: seconds);
 * source files live in the arena until mapc ends, so the pointers hold. */
static const char *
line_start(const SrcFile *f, int line)
{
	static struct {
		const SrcFile *f;
		const char **starts;
		int n;
	} files[8];
	static int next;
	int i = 0;
	while (i < 8 && files[i].f != f)
		i++;
	if (i == 8) {
		i = next;
		next = (next + 1) % 8;
		free(files[i].starts);
		int n = 1;
		for (size_t k = 0; k < f->len; k++)
			n += f->text[k] == '\n';
		files[i].starts = malloc(sizeof *files[i].starts * (size_t)n);
		if (!files[i].starts) {
			files[i].f = NULL;
			return f->text + f->len;
		}
		files[i].f = f;
		files[i].n = 0;
		files[i].starts[files[i].n++] = f->text;
		for (size_t k = 0; k < f->len; k++)
			if (f->text[k] == '\n')
				files[i].starts[files[i].n++] = f->text + k + 1;
	}
	return line <= files[i].n ? files[i].starts[line - 1] : f->text + f->len;
}

static void
show_line(FILE *out, Loc at)
{
	if (!at.file || at.line <= 0)
		return;
	const char *s = line_start(at.file, at.line), *end = at.file->text + at.file->len;
	const char *e = s;
	while (e < end && *e != '\n')
		e++;
	if (e > s && e[-1] == '\r')
		e--;
	/* A very long line is shown as a window around the column. */
	const char *from = s;
	int col = at.col;
	if (e - s > 160 && at.col > 80) {
		from = s + at.col - 1 - 60;
		col = 61 + 4;
	}
	const char *to = e - from > 160 ? from + 160 : e;
	fprintf(out, "%5d | %s%.*s%s\n      | ", at.line, from > s ? "... " : "",
		(int)(to - from), from, to < e ? " ..." : "");
	/* Keep tabs so the caret lines up under the token. */
	/* Columns are bytes; the caret goes under characters, so UTF-8
	 * continuation bytes take no room. */
	const char *base = from > s ? from - 4 : from;
	for (int i = 1; i < col; i++) {
		const char *ch = base + i - 1;
		if (ch >= from && ch < to && (*ch & 0xC0) == 0x80)
			continue;
		fputc(ch >= from && ch < to && *ch == '\t' ? '\t' : ' ', out);
	}
	fputc('^', out);
	const char *tok = base + col - 1;
	int len = at.len;
	if (tok + len > to)
		len = (int)(to - tok);
	for (int i = 1; i < len; i++)
		if ((tok[i] & 0xC0) != 0x80)
			fputc('~', out);
	fputc('\n', out);
}

static const char *const code_names[DIAG_NCODES] = {
#define X(code, name, phase, title) [name] = #code,
	DIAG_CODES(X)
#undef X
};

/* One diagnostic is written at once (stderr is unbuffered: a write a
 * character made 10,000 diagnostics take seconds). */
static void
report(const char *kind, const char *code, Loc at, const char *fmt, va_list ap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		out = stderr;
	if (at.file)
		fprintf(out, "%s:%d:%d: ", at.file->name, at.line, at.col);
	else
		fputs("mapc: ", out);
	if (code)
		fprintf(out, "%s[%s]: ", kind, code);
	else
		fprintf(out, "%s: ", kind);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	show_line(out, at);
	if (out != stderr && fclose(out) == 0)
		fwrite(text, 1, len, stderr);
	free(text);
}

void
diag_err(Loc at, DiagCode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error", code_names[code], at, fmt, ap);
	va_end(ap);
	diag_errors++;
}

/* Under --Werror a warning is an error, and keeps its W code. */
void
diag_warn(Loc at, DiagCode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(diag_werror ? "error" : "warning", code_names[code], at, fmt, ap);
	va_end(ap);
	if (diag_werror)
		diag_errors++;
	else
		diag_warnings++;
}

void
diag_error(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error", NULL, at, fmt, ap);
	va_end(ap);
	diag_errors++;
}

void
diag_warning(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(diag_werror ? "error" : "warning", NULL, at, fmt, ap);
	va_end(ap);
	if (diag_werror)
		diag_errors++;
	else
		diag_warnings++;
}

void
diag_note(Loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("note", NULL, at, fmt, ap);
	va_end(ap);
}

/* Optimal string alignment distance, case-insensitive (a transposed or
 * miscased letter is the commonest slip in field names). */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 1000;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			int cost = ca != cb;
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == cb &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
diag_suggest(const char *name, const char *const *cand, int n)
{
	const char *best = NULL;
	int bestd = 1000;
	int limit = (int)strlen(name) / 3 + 1;
	if (limit > 3)
		limit = 3;
	for (int i = 0; i < n; i++) {
		int d = distance(name, cand[i]);
		if (d < bestd) {
			bestd = d;
			best = cand[i];
		}
	}
	return bestd <= limit ? best : NULL;
}

/* ------------------------------------------------------------------ */
/* mapc --explain                                                      */
/* ------------------------------------------------------------------ */

/* diag_docs is docs/errors.md itself, compiled by the build
 * ($(O)/compiler/errdocs.c, written by compiler/errdocs.awk). */

int
diag_explain(const char *code, FILE *out)
{
	for (const DiagDoc *d = diag_docs; d->code; d++) {
		if (strcmp(d->code, code) == 0) {
			fputs(d->text, out);
			return 0;
		}
	}
	return -1;
}
