/*
 * lexer.re - the re2c lexer of the mapwright language.
 *
 * The whole file is in memory with a NUL sentinel (ps_read_file), so re2c
 * needs no refill.  Every token carries its file, line, column and length.
 * Lexical errors are reported here with a targeted message and the bad
 * input is skipped, so the parser only ever sees real tokens.  Strings are
 * decoded by hand after their opening quote: that is where the useful
 * messages are (unterminated string, bad escape, invalid UTF-8).
 */
#include <string.h>

#include "mapc.h"
#include "parser.h"

void
lx_init(Lexer *lx, const SrcFile *f)
{
	lx->file = f;
	lx->cur = f->text;
	lx->lim = f->text + f->len;
	lx->line_start = f->text;
	lx->line = 1;
	lx->on_comment = NULL;
	lx->comment_ctx = NULL;
	/* A UTF-8 byte-order mark, as some Windows editors write, is not text. */
	if (f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0) {
		lx->cur += 3;
		lx->line_start += 3;
	}
}

static Loc
loc_at(const Lexer *lx, const char *tok, size_t len)
{
	Loc l = { lx->file, lx->line, (int)(tok - lx->line_start) + 1, (int)len };
	return l;
}

/* Length of the valid UTF-8 sequence at s (at most lim), or 0. */
static int
utf8_len(const unsigned char *s, const unsigned char *lim)
{
	unsigned c = s[0];
	int n;
	unsigned min;
	if (c < 0x80)
		return 1;
	else if (c >= 0xC2 && c <= 0xDF)
		n = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (lim - s < n)
		return 0;
	unsigned cp = c & (0x3F >> (n - 1));
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static void
put_utf8(Buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
	}
	buf_put(b, u, n);
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* The string starting at the quote tok; lx->cur is just after it. */
static Token
lex_string(Lexer *lx, const char *tok)
{
	Buf b = { 0 };
	Token t = { TK_STRING, loc_at(lx, tok, 1), NULL, 0 };
	const char *p = lx->cur;
	for (;;) {
		if (p >= lx->lim || *p == '\n') {
			diag_err(t.loc, ER_UNTERMINATED_STRING,
				"unterminated string (a string ends on its own line)");
			break;
		}
		if (*p == '"') {
			p++;
			break;
		}
		if (*p == '\\') {
			Loc el = loc_at(lx, p, 2);
			unsigned cp;
			switch (p[1]) {
			case '"': buf_put(&b, "\"", 1); p += 2; continue;
			case '\\': buf_put(&b, "\\", 1); p += 2; continue;
			case 'n': buf_put(&b, "\n", 1); p += 2; continue;
			case 't': buf_put(&b, "\t", 1); p += 2; continue;
			case 'u':
				if (p + 6 <= lx->lim && hex4(p + 2, &cp)) {
					if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
						el.len = 6;
						diag_err(el, ER_BAD_ESCAPE,
							"\\u%04X is not a character allowed "
							"in a string",
							cp);
					} else {
						put_utf8(&b, cp);
					}
					p += 6;
					continue;
				}
				diag_err(el, ER_BAD_ESCAPE, "\\u needs four hexadecimal digits");
				p += 2;
				continue;
			default:
				diag_err(el, ER_BAD_ESCAPE,
					"unknown escape sequence; use \\\" \\\\ \\n \\t or \\uXXXX");
				p += p[1] && p[1] != '\n' ? 2 : 1;
				continue;
			}
		}
		int n = utf8_len((const unsigned char *)p, (const unsigned char *)lx->lim);
		if (n == 0 || (n == 1 && (unsigned char)*p < 0x20 && *p != '\t')) {
			if (n == 0)
				diag_err(loc_at(lx, p, 1), ER_BAD_UTF8, "invalid UTF-8 in string");
			else
				diag_err(loc_at(lx, p, 1), ER_CONTROL_CHAR, "control character in string");
			n = 1;
		}
		buf_put(&b, p, (size_t)n);
		p += n;
	}
	t.loc.len = (int)(p - tok);
	lx->cur = p;
	t.s = b.p ? ar_strndup(b.p, b.len) : ar_strndup("", 0);
	t.n = b.len;
	buf_free(&b);
	/* A string with a bad escape or byte was reported above; the parser
	 * still gets it, so one mistake gives one error, not a cascade. */
	return t;
}

Token
lx_next(Lexer *lx)
{
	for (;;) {
		const char *tok = lx->cur;
		const char *YYMARKER;
		int type;
		(void)YYMARKER;
		/*!re2c
		re2c:define:YYCTYPE = "unsigned char";
		re2c:define:YYCURSOR = "lx->cur";
		re2c:define:YYMARKER = "YYMARKER";
		re2c:yyfill:enable = 0;
		re2c:indent:string = "\t";

		id = [A-Za-z_][A-Za-z0-9_]*;
		digits = [0-9]+;

		"\x00" {
			if (tok >= lx->lim) {
				lx->cur = tok;
				Token t = { 0, loc_at(lx, tok, 1), "", 0 };
				return t;
			}
			diag_err(loc_at(lx, tok, 1), ER_NUL_BYTE, "NUL byte in source");
			continue;
		}
		"\n" { lx->line++; lx->line_start = lx->cur; continue; }
		[ \t\r]+ { continue; }
		"#" [^\n\x00]* {
			if (lx->on_comment)
				lx->on_comment(lx->comment_ctx, loc_at(lx, tok, (size_t)(lx->cur - tok)),
					tok, (size_t)(lx->cur - tok));
			continue;
		}
		"\"" { return lex_string(lx, tok); }
		"`" id "`" {
			Token t = { TK_ID, loc_at(lx, tok, (size_t)(lx->cur - tok)),
				ar_intern(tok + 1, (size_t)(lx->cur - tok - 2)), 0 };
			t.n = strlen(t.s);
			return t;
		}

		/* KEEP IN STEP: keywords (compiler/lang.c, grammar/parser.y): a word
		 * is a keyword when lang.c's table has it, else a name. */
		id {
			const LangKeyword *k = lang_keyword(tok, (size_t)(lx->cur - tok));
			type = k ? k->type : TK_ID;
			goto kw;
		}

		[1-5] "xx" { type = TK_HTTPCLASS; goto text; }
		digits ("ms" | "s" | "m" | "h" | "d") { type = TK_DURATION; goto text; }
		digits "." digits { type = TK_DECIMAL; goto text; }
		digits { type = TK_INT; goto text; }
		digits [A-Za-z_] [A-Za-z0-9_]* {
			diag_err(loc_at(lx, tok, (size_t)(lx->cur - tok)), ER_BAD_NUMBER,
				"invalid number `%.*s` (durations end in ms, s, m, h or d)",
				(int)(lx->cur - tok), tok);
			/* Reported: hand on a token so the parser does not add an error:
			 * a duration with a mistyped unit (`5x`), else the number. */
			const char *end = lx->cur;
			lx->cur = tok;
			while (*lx->cur >= '0' && *lx->cur <= '9')
				lx->cur++;
			type = end - lx->cur <= 2 ? TK_DURATION : TK_INT;
			if (type == TK_DURATION) {
				Token t = { type, loc_at(lx, tok, (size_t)(end - tok)),
					ar_strndup(tok, (size_t)(end - tok)), (size_t)(end - tok) };
				lx->cur = end;
				return t;
			}
			{
				Token t = { type, loc_at(lx, tok, (size_t)(lx->cur - tok)),
					ar_strndup(tok, (size_t)(lx->cur - tok)), (size_t)(lx->cur - tok) };
				while ((*lx->cur >= 'A' && *lx->cur <= 'Z') || (*lx->cur >= 'a' &&
					*lx->cur <= 'z') || (*lx->cur >= '0' && *lx->cur <= '9') ||
				       *lx->cur == '_')
					lx->cur++;
				return t;
			}
		}

		"{" { type = TK_LBRACE; goto text; }
		"}" { type = TK_RBRACE; goto text; }
		"(" { type = TK_LPAREN; goto text; }
		")" { type = TK_RPAREN; goto text; }
		"[" { type = TK_LBRACKET; goto text; }
		"]" { type = TK_RBRACKET; goto text; }
		":" { type = TK_COLON; goto text; }
		"," { type = TK_COMMA; goto text; }
		";" { type = TK_SEMI; goto text; }
		"." { type = TK_DOT; goto text; }
		".." { type = TK_DOTDOT; goto text; }
		"->" { type = TK_ARROW; goto text; }
		"=>" { type = TK_FATARROW; goto text; }
		"=" { type = TK_ASSIGN; goto text; }
		"==" { type = TK_EQ; goto text; }
		"!=" { type = TK_NE; goto text; }
		"<" { type = TK_LT; goto text; }
		"<=" { type = TK_LE; goto text; }
		">" { type = TK_GT; goto text; }
		">=" { type = TK_GE; goto text; }
		"+" { type = TK_PLUS; goto text; }
		"-" { type = TK_MINUS; goto text; }
		"*" { type = TK_STAR; goto text; }
		"/" { type = TK_SLASH; goto text; }
		"++" { type = TK_CONCAT; goto text; }

		"`" {
			diag_err(loc_at(lx, tok, 1), ER_BACKQUOTE,
				"a quoted name is `letters, digits and _`");
			continue;
		}
		* {
			int n = utf8_len((const unsigned char *)tok, (const unsigned char *)lx->lim);
			if (n > 1) {
				lx->cur = tok + n;
				diag_err(loc_at(lx, tok, (size_t)n), ER_BAD_CHAR,
					"unexpected character `%.*s` (names are ASCII letters, digits and _)",
					n, tok);
			} else if ((unsigned char)*tok >= 0x80) {
				diag_err(loc_at(lx, tok, 1), ER_BAD_UTF8, "invalid UTF-8 byte 0x%02X",
					(unsigned char)*tok);
			} else {
				diag_err(loc_at(lx, tok, 1), ER_BAD_CHAR, "unexpected character `%c`", *tok);
			}
			continue;
		}
		*/
kw:
		{
			size_t n = (size_t)(lx->cur - tok);
			Token t = { type, loc_at(lx, tok, n), ar_intern(tok, n), n };
			return t;
		}
text:
		{
			size_t n = (size_t)(lx->cur - tok);
			Token t = { type, loc_at(lx, tok, n), ar_strndup(tok, n), n };
			return t;
		}
	}
}
