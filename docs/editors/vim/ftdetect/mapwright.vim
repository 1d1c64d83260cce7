" mapwright: *.map files.  Vim's own filetype.vim calls *.map "map"
" (MapServer); a file under mappings/ or schemas/, or one whose first
" declaration is a mapwright one, is mapwright instead.
function! s:MapwrightDetect() abort
  if expand('<afile>:p') =~# '/\%(mappings\|schemas\)/'
    setlocal filetype=mapwright
    return
  endif
  for l:line in getline(1, 50)
    if l:line =~# '^\s*\%(#.*\)\=$'
      continue
    endif
    if l:line =~# '^\s*\%(pair\|service\|entity\|table\|tracking\|dimension\)\s\+\h'
      setlocal filetype=mapwright
    endif
    return
  endfor
endfunction

autocmd BufRead,BufNewFile *.map call s:MapwrightDetect()
