#!/bin/sh
# /usr/bin/pmsapp: the operator CLI. NODE_OPTIONS is dropped so a user's setting cannot change how the
# bundle runs; node is called by its full path (no PATH lookup).
unset NODE_OPTIONS
exec /usr/bin/node /usr/lib/pmsapp/pmsapp.cjs "$@"
