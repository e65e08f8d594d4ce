/**
 * Every help text of the `pmsapp` CLI, in one place (the packaging may generate man pages from it).
 */
export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [0, "success: every node asked answered"],
  [1, "internal error"],
  [2, "bad usage (unknown command or option)"],
  [3, "no node could be reached"],
  [4, "a node refused the bearer token (check token_file)"],
  [5, "the event stream ended before its end marker"],
  [6, "invalid configuration (pmsappd.conf)"],
  [7, "some nodes answered, others could not be reached (the others are still shown)"],
];

const exitText = EXIT_CODES.map(([c, t]) => `  ${c}  ${t}`).join("\n");

export const HELP: Readonly<Record<"main" | "status" | "events", string>> = {
  main: `pmsapp - status and health events of the pmsapp storage cluster

usage:
  pmsapp status [--node NAME | --cluster] [--json]
  pmsapp events [--follow] [--json] [--since EPOCH:SEQ] [--node NAME | --cluster]
  pmsapp create [--layout LAYOUT] [--dry-run] MEMBER... (create the shared array; see pmsapp create --help)
  pmsapp help [COMMAND]      pmsapp COMMAND --help

The CLI talks to pmsappd: the local daemon over its Unix socket (socket_path), other nodes over
WebSocket with the bearer token from token_file, as listed in 'peers' of /etc/pmsapp/pmsappd.conf
(env PMSAPP_CONF names another file).

exit codes:
${exitText}
`,
  status: `usage: pmsapp status [--node NAME | --cluster] [--json]

One screen: who owns the cluster service (Pacemaker: crm_mon; rgmanager: clustat -x; when present),
each md array with its members' states and resync progress, each node's iSCSI target with LUNs and
connected initiators, and the node's iSCSI sessions. Without --node, every peer of the config is
asked (or only the local daemon when no peers are configured).
Colours only when stdout is a terminal, NO_COLOR is unset and TERM is not dumb.

  --node NAME   ask only this node (a peer name, or the local node's name)
  --cluster     ask every peer (the default when peers are configured)
  --json        one JSON object per node on stdout (JSON Lines), then one for the cluster service

exit codes:
${exitText}
`,
  events: `usage: pmsapp events [--follow] [--json] [--since EPOCH:SEQ] [--node NAME | --cluster]

Prints the daemon's state as a snapshot of 'exists' events ending with an end-of-snapshot marker,
like 'drbdsetup events2'; with --follow it then keeps printing changes (create, change, destroy:
old -> new) until interrupted, reconnecting by itself (resuming from the last sequence number seen).
Each line starts with the node's name.

  --follow, -f      keep streaming after the snapshot
  --json            one JSON object per line (every frame, markers included), for jq
  --since E:S       resume after event S of daemon run E (as printed in epoch/seq); the daemon
                    replays what followed, or sends a snapshot when it no longer has those events.
                    Only with a single node.
  --node NAME       stream from this node (a peer name, or the local node's name); default: local
  --cluster         merge the streams of every peer in the config
  --no-color        no colours even on a terminal

exit codes:
${exitText}
`,
};
