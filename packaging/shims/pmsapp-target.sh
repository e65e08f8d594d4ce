#!/bin/sh
# pmsapp target keeper: start | stop [--force] | status | check-config (installed as /usr/libexec/pmsapp/pmsapp-target)
unset NODE_OPTIONS
exec /usr/bin/node /usr/lib/pmsapp/target.cjs "$@"
