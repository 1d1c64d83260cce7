" Vim syntax file
" Language:    mapwright mappings and schemas (*.map)
" Maintainer:  the mapwright project (docs/editors/README.md)
"
" The keywords are those of grammar/lexer.re (tests/tools/editors.sh checks
" that every one of them is here).  Install: copy syntax/ and ftdetect/ into
" ~/.vim (or add docs/editors/vim to 'runtimepath').

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match

" declarations
syn keyword mwDeclaration service object collection format pair source target
syn keyword mwDeclaration table tracking dimension entity currency
" statements and expressions
syn keyword mwStatement   key match check within else fail dead_letter lifecycle locked wins group by total
syn keyword mwConditional if then when
syn keyword mwRepeat      for in
syn keyword mwOperatorWord and or not ref
syn keyword mwBoolean     true false
syn keyword mwConstant    null
" schema field modifiers
syn keyword mwModifier    required enum max
" settings, triggers and error policies
syn keyword mwSetting     limit env from concurrent
syn keyword mwTrigger     on webhook poll every
syn keyword mwPolicy      http retry backoff jitter after header skip hold

" field types and functions (plain names to the lexer)
" (a match, not keywords: date(...) and string(...) are also functions)
syn match   mwType        "\<\%(string\|integer\|decimal\|money\|boolean\|date\|datetime\|map\)\>\%(\s*(\)\@!"
syn match   mwFunction    "\<\%(lower\|upper\|trim\|substr\|replace\|len\|date\|datetime\|format_date\|round\|abs\|default\|coalesce\|sum\|currency_places\|money\|base_currency\|rate\|rate_date\|rate_per_base\|convert\|string\|decimal\|integer\|country_code\|country_name\|region_code\|tidy\|title\|postal_code\|sku\)\ze\s*("

" a name written in backquotes because it is a keyword: `key`
syn match   mwQuotedName  "`\h\w*`"

" numbers: 42, 19.99; durations 250ms 5s 5m 1h 1d; status classes 4xx
syn match   mwNumber      "\<\d\+\>"
syn match   mwDecimal     "\<\d\+\.\d\+\>"
syn match   mwDuration    "\<\d\+\%(ms\|s\|m\|h\|d\)\>"
syn match   mwHttpClass   "\<[1-5]xx\>"

" strings: one line, with \" \\ \n \t \uXXXX
syn region  mwString      start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=mwEscape,mwBadEscape
syn match   mwBadEscape   +\\.+ contained
syn match   mwEscape      +\\\%(["\\nt]\|u\x\{4}\)+ contained

" operators: table arrows, policy arrow, comparisons, concatenation
syn match   mwArrow       "=>\|->"
syn match   mwOperator    "==\|!=\|<=\|>=\|++\|\.\.\|[-+*/<>=]"

syn keyword mwTodo        TODO FIXME XXX contained
syn match   mwComment     "#.*$" contains=mwTodo

hi def link mwDeclaration  Structure
hi def link mwStatement    Statement
hi def link mwConditional  Conditional
hi def link mwRepeat       Repeat
hi def link mwOperatorWord Operator
hi def link mwBoolean      Boolean
hi def link mwConstant     Constant
hi def link mwModifier     StorageClass
hi def link mwSetting      Keyword
hi def link mwTrigger      Keyword
hi def link mwPolicy       Exception
hi def link mwType         Type
hi def link mwFunction     Function
hi def link mwQuotedName   Identifier
hi def link mwNumber       Number
hi def link mwDecimal      Float
hi def link mwDuration     Number
hi def link mwHttpClass    Number
hi def link mwString       String
hi def link mwEscape       SpecialChar
hi def link mwBadEscape    Error
hi def link mwArrow        Operator
hi def link mwOperator     Operator
hi def link mwTodo         Todo
hi def link mwComment      Comment

let b:current_syntax = "mapwright"

let &cpo = s:cpo_save
unlet s:cpo_save
