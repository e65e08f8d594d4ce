#!/bin/sh
# /usr/sbin/pmsappd: the node daemon (run by pmsappd.service or /etc/rc.d/init.d/pmsappd). NODE_OPTIONS
# is dropped so the environment cannot change how the bundle runs; node is called by its full path.
unset NODE_OPTIONS
exec /usr/bin/node /usr/lib/pmsapp/pmsappd.cjs "$@"
