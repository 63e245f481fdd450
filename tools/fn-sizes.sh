#!/bin/sh
# fn-sizes.sh [N] [DIR...]: the N (default 10) longest C functions under the
# given folders (default src lib), longest first: lines, file:line, name.
# A function is a body that opens with "{" in column 0 and closes with "}"
# in column 0 (the repository's .clang-format style); its name is the
# identifier before the first "(" of the lines since the previous body.
n=${1:-10}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- src lib
find "$@" -name '*.c' | sort | xargs awk '
FNR == 1 { sig = ""; inbody = 0 }
!inbody && /^\{/ {
        inbody = 1; start = FNR; name = sig
        sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
        next
}
inbody && /^\}/ {
        inbody = 0
        printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, start, name
        sig = ""; next
}
!inbody {
        if ($0 ~ /^[ \t]*$/ || $0 ~ /;[ \t]*$/ || $0 ~ /^#/) sig = ""
        else if ($0 ~ /^[ \t]*(\/\*|\*)/) next
        else if (sig == "" || sig !~ /\(/) sig = sig " " $0
}' | sort -rn | head -n "$n"
