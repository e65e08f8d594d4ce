#!/bin/sh
### BEGIN INIT INFO
# Provides:          swraid
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:
# Default-Stop:
# Short-Description: pmsapp md RAID over iSCSI (drop-in for the install guide's swraid)
# Description:       start|stop|status of the one array described in /etc/pmsapp/swraid.conf, for
#                    rgmanager's <script file="/etc/init.d/swraid"> (symlink this file there).
### END INIT INFO
# Installed as /usr/libexec/pmsapp/swraid. Exit codes follow LSB: status 0 running, 3 stopped,
# 1 failed, 4 unknown; 2 for usage. Never started at boot: the cluster manager starts it.
unset NODE_OPTIONS
PMSAPP_FACE=lsb
export PMSAPP_FACE
exec /usr/bin/node "${PMSAPP_LIBDIR:-/usr/lib/pmsapp}/raid.cjs" "$@"
