#!/bin/sh
# A STAND-IN for the client side of cloudflared (`cloudflared access ...`), for fleetgen's end-to-end tests only;
# not cloudflared. Cloudflare Access cannot be reached from the test machine, so the generated ssh_config's
#   ProxyCommand cloudflared access ssh --hostname %h
# finds this script first on PATH (as `cloudflared`) and connects straight to the sshd of the booted test host
# that serves that hostname — the harness's `nsenter -t <guest pid> -n nc 127.0.0.1 22` — where the real one would
# go through Access and the tunnel. Routes: "HOSTNAME GUEST_PID" lines in $FLEETGEN_E2E_ACCESS_ROUTES; every
# hostname asked for is appended to $FLEETGEN_E2E_ACCESS_LOG.
# `access ssh-gen` fails (no Access to issue a certificate): ssh_config's `Match … exec "cloudflared access ssh-gen …"`
# blocks then do not apply, as when a user is not logged in.
set -eu
if [ "$#" -eq 4 ] && [ "$1" = access ] && [ "$2" = ssh ] && [ "$3" = --hostname ]; then
  printf '%s\n' "$4" >> "${FLEETGEN_E2E_ACCESS_LOG:-/dev/null}"
  pid=$(awk -v h="$4" '$1 == h { print $2 }' "$FLEETGEN_E2E_ACCESS_ROUTES")
  if [ -z "$pid" ]; then
    echo "cloudflared stand-in: no test host serves $4" >&2
    exit 1
  fi
  exec nsenter -t "$pid" -n nc 127.0.0.1 22
fi
echo "cloudflared stand-in (client side): not supported here: $*" >&2
exit 1
