#!/bin/sh
# pmsapp raid resource agent, OCF face (Pacemaker): installed as /usr/lib/ocf/resource.d/pmsapp/raid.
# POSIX sh on purpose: no PATH lookups (absolute node path), no output of its own (meta-data must start
# with <?xml even when stdin and stderr are closed), NODE_OPTIONS dropped so a site-wide --require hook
# cannot slow down or break the agent. PMSAPP_LIBDIR lets tests point at a build tree.
unset NODE_OPTIONS
PMSAPP_FACE=ocf
export PMSAPP_FACE
exec /usr/bin/node "${PMSAPP_LIBDIR:-/usr/lib/pmsapp}/raid.cjs" "$@"
