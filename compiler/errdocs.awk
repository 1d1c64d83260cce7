# errdocs.awk - docs/errors.md as C: the table `mapc --explain CODE` prints
# from (diag_docs in mapc.h).  The Makefile runs it into the build folder:
#
#   awk -f compiler/errdocs.awk docs/errors.md > $(O)/compiler/errdocs.c
#
# A code's text is its section of the page: from its `### CODE: title` line
# to the next heading, trailing blank lines dropped.  Each line becomes a C
# string piece, with \ and " escaped and ?? written ?\? (no trigraphs).
function flush(    i, s) {
	if (code == "")
		return
	while (n > 0 && lines[n] == "")
		n--
	printf "\t{ \"%s\",\n", code
	for (i = 1; i <= n; i++) {
		s = lines[i]
		gsub(/\\/, "\\\\\\\\", s)
		gsub(/"/, "\\\"", s)
		gsub(/\?\?/, "?\\\\?", s)
		printf "\t\t\"%s\\n\"%s\n", s, i == n ? " }," : ""
	}
	if (n == 0)
		printf "\t\t\"\" },\n"
	code = ""
}
BEGIN {
	print "/* Generated from docs/errors.md by compiler/errdocs.awk: do not edit. */"
	print "#include \"mapc.h\""
	print ""
	print "const DiagDoc diag_docs[] = {"
}
/^##/ { flush() }
/^### [EW][0-9][0-9][0-9]: / { code = substr($2, 1, 4); n = 0 }
code != "" { lines[++n] = $0 }
END {
	flush()
	print "\t{ 0, 0 }"
	print "};"
}
