/**
 * Running the installed raid agent inside a lab guest exactly as a cluster manager does: through its
 * shim, with an environment built the way Pacemaker's executor (contract reference section 3.4) or
 * rgmanager (section 1.4: nothing inherited, no PATH) builds it. Each run is timed with the guest's own
 * clock around the agent alone, so the figures do not include the guest-agent round trip.
 */
import type { GuestNode } from "./lab.js";
import { portal, targetIqn } from "./storage.js";

export const OCF_AGENT = "/usr/lib/ocf/resource.d/pmsapp/raid";
export const RGMANAGER_AGENT = "/usr/share/cluster/pmsapp-raid.sh";

/** The agent's `targets` value for nodes N..: `IQN@portal` of each node's LUN, in slot order. */
export function targetsParam(nodes: readonly number[]): string {
  return nodes.map((n) => `${targetIqn(n)}@${portal(n)}`).join(" ");
}

/** Configured parameters only (Pacemaker exports no meta-data defaults). */
export type AgentParams = Readonly<Record<string, string>>;

export interface PacemakerCall {
  /** Resource id (OCF_RESOURCE_INSTANCE). */
  readonly id?: string;
  /** The op's timeout in ms (OCF_RESKEY_CRM_meta_timeout). */
  readonly timeoutMs: number;
  /** Recurring monitor interval in ms; 0 for a probe; absent for start/stop. */
  readonly intervalMs?: number;
  readonly checkLevel?: 0 | 10 | 20;
}

/** The environment pacemaker-execd gives an OCF agent (its own environment plus the OCF variables). */
export function pacemakerEnv(node: GuestNode, action: string, params: AgentParams, call: PacemakerCall): string[] {
  const nodeId = /^node(\d)$/.exec(node.name)?.[1] ?? "1";
  return [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "PCMK_service=pacemaker-execd",
    "PCMK_logfacility=daemon",
    "HA_logfacility=daemon",
    "OCF_ROOT=/usr/lib/ocf",
    "OCF_RA_VERSION_MAJOR=1",
    "OCF_RA_VERSION_MINOR=1",
    "OCF_EXIT_REASON_PREFIX=ocf-exit-reason:",
    `OCF_RESOURCE_INSTANCE=${call.id ?? "raid"}`,
    "OCF_RESOURCE_TYPE=raid",
    "OCF_RESOURCE_PROVIDER=pmsapp",
    "OCF_RESKEY_crm_feature_set=3.16.2",
    `OCF_RESKEY_CRM_meta_name=${action}`,
    `OCF_RESKEY_CRM_meta_timeout=${call.timeoutMs}`,
    `OCF_RESKEY_CRM_meta_on_node=${node.name}`,
    `OCF_RESKEY_CRM_meta_on_node_uuid=${nodeId}`,
    ...(call.intervalMs !== undefined ? [`OCF_RESKEY_CRM_meta_interval=${call.intervalMs}`] : []),
    ...(call.checkLevel !== undefined ? [`OCF_CHECK_LEVEL=${call.checkLevel}`] : []),
    ...Object.entries(params).map(([k, v]) => `OCF_RESKEY_${k}=${v}`),
  ];
}

/**
 * The environment rgmanager's clurgmgrd builds (build_env + add_ocf_stuff): exactly this list, no PATH;
 * `params` must already include the meta-data defaults, as rgmanager exports them.
 */
export function rgmanagerEnv(params: AgentParams, depth: 0 | 10 | 20, timeoutS: number): string[] {
  return [
    ...Object.entries(params).map(([k, v]) => `OCF_RESKEY_${k}=${v}`),
    "OCF_RA_VERSION_MAJOR=1",
    "OCF_RA_VERSION_MINOR=0",
    "OCF_ROOT=/usr/share/cluster",
    `OCF_RESOURCE_INSTANCE=pmsapp-raid:${params["name"] ?? "raid"}`,
    "OCF_RESOURCE_TYPE=pmsapp-raid",
    `OCF_CHECK_LEVEL=${depth}`,
    "OCF_RESKEY_RGMANAGER_meta_refcnt=0",
    `OCF_RESKEY_RGMANAGER_meta_timeout=${timeoutS}`,
  ];
}

export interface AgentRun {
  readonly rc: number;
  /** Wall time of the agent alone, guest clock. */
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The OCF exit reason line, when the agent wrote one. */
  readonly reason: string | undefined;
  /** The `msg` of the agent's last log line (its end-of-action reason). */
  readonly lastMessage: string | undefined;
}

const ELAPSED = "pmsapp-lab-elapsed-ns=";

/** Run `<agent> <action>` under `env -i <env>` in the guest, timed in the guest; stdin is /dev/null. */
export async function runAgent(node: GuestNode, agent: string, action: string, env: readonly string[], hostTimeoutMs = 120_000): Promise<AgentRun> {
  const script = `a=$(date +%s%N); "$@" </dev/null; rc=$?; b=$(date +%s%N); echo "${ELAPSED}$((b-a))" >&2; exit $rc`;
  const r = await node.exec(["/bin/bash", "-c", script, "timed", "/usr/bin/env", "-i", ...env, agent, action], { timeoutMs: hostTimeoutMs });
  if (r.timedOut) throw new Error(`${node.name}: ${agent} ${action} did not finish within ${hostTimeoutMs} ms (host deadline)`);
  const lines = r.stderr.split("\n");
  const elapsedLine = lines.find((l) => l.startsWith(ELAPSED));
  if (elapsedLine === undefined) throw new Error(`${node.name}: ${agent} ${action}: no timing line (rc ${r.rc}): ${r.stderr.slice(-500)}`);
  const reason = lines.find((l) => l.startsWith("ocf-exit-reason:"))?.slice("ocf-exit-reason:".length);
  let lastMessage: string | undefined;
  for (const l of lines) {
    if (!l.startsWith("{")) continue;
    try {
      const msg = (JSON.parse(l) as { msg?: unknown }).msg;
      if (typeof msg === "string") lastMessage = msg;
    } catch {
      /* not a log line */
    }
  }
  return {
    rc: r.rc ?? -1,
    ms: Number(elapsedLine.slice(ELAPSED.length)) / 1e6,
    stdout: r.stdout,
    stderr: lines.filter((l) => !l.startsWith(ELAPSED)).join("\n"),
    reason,
    lastMessage,
  };
}

/** What a test needs to know about md and iSCSI on one node, to prove an action changed nothing (or did). */
export interface NodeStorageView {
  /** `/proc/mdstat` array lines (`md0 : active raid5 sdc[2] ...`). */
  readonly arrays: string[];
  /** iSCSI sessions by target IQN (from sysfs; empty when none). */
  readonly sessions: string[];
  readonly mounts: string[];
}

export async function storageView(node: GuestNode): Promise<NodeStorageView> {
  const out = await node.must(
    `grep '^md' /proc/mdstat | sed 's/^/array /' || true
for s in /sys/class/iscsi_session/session*; do [ -e "$s/targetname" ] && echo "session $(cat $s/targetname) $(cat $s/state)"; done
grep '^/dev/md' /proc/mounts | sed 's/^/mount /' || true`,
    { timeoutMs: 15_000 },
  );
  const pick = (kind: string): string[] =>
    out
      .split("\n")
      .filter((l) => l.startsWith(`${kind} `))
      .map((l) => l.slice(kind.length + 1).trim())
      .sort();
  return { arrays: pick("array"), sessions: pick("session"), mounts: pick("mount") };
}
