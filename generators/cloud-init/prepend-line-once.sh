# fleetgen passes this to `sh -c CODE sh LINE FILE`: the values arrive as "$1" and "$2", never inside the code.
# Puts LINE at the top of FILE unless FILE has that exact line already (RHEL 8's sshd_config has no Include).
grep -qxF -- "$1" "$2" || sed -i "1i $1" "$2"
