# fleetgen passes this to `sh -c CODE sh ARCH ACCEPTED QUERY...`: the values arrive as positional parameters, never
# inside the code. Fails unless QUERY (dpkg --print-architecture, or uname -m) prints one of ACCEPTED (space-separated).
# One line: cloud-init writes each runcmd entry as one line of its script.
m=$1 ok=$2; shift 2; a=$("$@"); case " $ok " in *" $a "*) exit 0;; esac; echo "host architecture is \"$a\" ($*), fleet.yaml says $m: nothing installed; correct platform.arch" >&2; exit 1
