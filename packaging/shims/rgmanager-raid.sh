#!/bin/sh
# pmsapp raid resource agent, rgmanager face: installed as /usr/share/cluster/pmsapp-raid.sh (type
# pmsapp-raid). rgmanager runs it with no PATH, and runs meta-data with stdin and stderr closed and no
# OCF variables, so this shim relies on none of them. After an update of the bundle, run
# `ccs_update_schema -f`: the schema cache is keyed on this file, which does not change.
unset NODE_OPTIONS
PMSAPP_FACE=rgmanager
export PMSAPP_FACE
exec /usr/bin/node "${PMSAPP_LIBDIR:-/usr/lib/pmsapp}/raid.cjs" "$@"
