# fleetgen passes this to `sh -c CODE sh ARCH ACCEPTED QUERY...`: the values arrive as positional parameters, never
# inside the code. Fails unless QUERY (dpkg --print-architecture, or uname -m) prints one of ACCEPTED (space-separated).
# One line: cloud-init writes each runcmd entry as one line of its script.
arch=$1 accepted=$2; shift 2; actual=$("$@"); case " $accepted " in *" $actual "*) exit 0 ;; esac; echo "this host's architecture is \"$actual\" ($*), but fleet.yaml gives platform.arch: $arch for it: nothing installed. Correct platform.arch for this host in fleet.yaml and rebuild." >&2; exit 1
