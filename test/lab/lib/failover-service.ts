/**
 * The replicated NFS service of the failover scenarios, built the README's way: every node exports its
 * disk with the product's target keeper (`/usr/libexec/pmsapp/pmsapp-target start`, what the
 * pmsapp-target service runs) and has the NFS server installed but stopped; one node creates the RAID1 from the
 * iSCSI LUNs (never the local disk) with a chosen UUID; Pacemaker (pacemaker.ts, the README's blocks)
 * runs the group storage = ocf:pmsapp:raid -> Filesystem -> nfsserver -> exportfs -> IPaddr2 -> nfsnotify, fenced.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ledgerAttribute } from "../../../agents/ledger/pacemaker.js";
import { parseLedgerRecord } from "../../../agents/ledger/record.js";
import type { GuestNode, Lab } from "./lab.js";
import { say } from "./log.js";
import { ARTIFACTS_DIR } from "./paths.js";
import { locateAll } from "./pacemaker.js";
import { ARRAY, exportDisk, login, mdState, memberPath, nodeNumber, portal, prepareInitiator, targetIqn } from "./storage.js";

export const GROUP = ["sharedraid", "sharedvol", "sharednfsd", "sharednfs", "sharedip", "sharednotify"] as const;
export const KEEPER = "/usr/libexec/pmsapp/pmsapp-target";
export const JOURNAL = "/var/lib/pmsapp/journal/agents.jsonl";

/** A UUID in mdadm's notation (8:8:8:8 hex), as the README's step 1 makes one. */
export function newArrayUuid(): string {
  const hex = randomBytes(16).toString("hex");
  return [0, 8, 16, 24].map((i) => hex.slice(i, i + 8)).join(":");
}

export function keeperConf(n: number, uuid: string, layout: readonly GuestNode[]): string {
  return `# written by the failover scenarios (test/lab/lib/failover-service.ts)
backing_device = /dev/disk/by-id/virtio-data${n}
iqn = ${targetIqn(n)}
cluster_iscsi_addresses = ${layout.map((x) => x.ip("iscsi")).join(" ")}
managed_uuid = ${uuid}
`;
}

/** How a node's disk got exported: by the product's keeper, or (with the reason) by the lab's tgtadm recipe. */
export type ExportedBy = { readonly by: "pmsapp-target" } | { readonly by: "tgtadm"; readonly why: string };

/**
 * The lab's stand-in for nfs-server.service on the fast-init VMs (no systemd there), installed as
 * /etc/init.d/nfsserver, the first init script the nfsserver resource agent looks for: it runs what the
 * unit runs (exportfs -r, rpc.mountd, rpc.nfsd; stop: rpc.nfsd 0, exportfs -au, exportfs -f) and its
 * status is the unit's "nfsd threads > 0". Debian's own /etc/init.d/nfs-kernel-server would not do: it
 * refuses to start nfsd while /etc/exports names no directory, and the exports here are the cluster's.
 */
export const NFS_SERVER_INIT = `#!/bin/sh
# written by the failover scenarios (test/lab/lib/failover-service.ts): nfs-server.service for a VM without systemd
case "$1" in
start)
  mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd || exit 1
  /usr/sbin/exportfs -r
  pidof rpc.mountd >/dev/null || /usr/sbin/rpc.mountd || exit 1
  /usr/sbin/rpc.nfsd 8 || exit 1
  ;;
stop)
  if mountpoint -q /proc/fs/nfsd; then /usr/sbin/rpc.nfsd 0 || exit 1; fi
  /usr/sbin/exportfs -au
  /usr/sbin/exportfs -f
  pids=$(pidof rpc.mountd) && kill $pids
  exit 0
  ;;
status)
  threads=$(cat /proc/fs/nfsd/threads 2>/dev/null || echo 0)
  [ "$threads" -gt 0 ] && exit 0 || exit 3
  ;;
*) echo "usage: $0 start|stop|status" >&2; exit 3 ;;
esac
`;

/**
 * What a node needs before it can join (at setup and after every boot: the fast init starts nothing):
 * its disk exported by the keeper, iscsid (a survivor's agent logs in with it), rpcbind, the mount point,
 * and the NFS server installed but NOT running: the group's nfsserver resource starts it where the group
 * runs (state directory on the shared filesystem) and stops it when the group leaves (README install).
 */
export async function prepareServiceNode(node: GuestNode, uuid: string, layout: readonly GuestNode[], mountpoint: string): Promise<ExportedBy> {
  const n = nodeNumber(node);
  await node.writeFile("/etc/pmsapp/target.conf", keeperConf(n, uuid, layout), "0640");
  const r = await node.sh(`mkdir -p /var/log/pmsapp /run/pmsapp; ${KEEPER} start >/var/log/pmsapp/keeper.log 2>&1 </dev/null; rc=$?; tail -n 5 /var/log/pmsapp/keeper.log; exit $rc`, { timeoutMs: 150_000 });
  let exported: ExportedBy = { by: "pmsapp-target" };
  if (r.rc !== 0) {
    const why = `pmsapp-target start exited ${r.rc}: ${r.stdout.trim().split("\n").slice(-3).join(" | ").slice(0, 600)}`;
    say(`${node.name}: ${why}; exporting with the lab's tgtadm recipe instead`);
    await exportDisk(node);
    exported = { by: "tgtadm", why };
  }
  await node.writeFile("/etc/init.d/nfsserver", NFS_SERVER_INIT, "0755");
  await node.must(
    `mkdir -p ${mountpoint}
pidof iscsid >/dev/null || iscsid
/etc/init.d/rpcbind start >/dev/null; : > /etc/exports
if [ "$(cat /proc/fs/nfsd/threads 2>/dev/null || echo 0)" -gt 0 ]; then echo "nfsd runs outside the cluster" >&2; exit 1; fi
sync`,
    { timeoutMs: 60_000 },
  );
  return exported;
}

/**
 * The README's step 3 on `node`: log in to the members' targets, create the RAID1 with the chosen UUID
 * and a 1 MiB-chunk bitmap (--assume-clean: blank disks), ext4, stop, log out.
 */
export async function createServiceArray(node: GuestNode, uuid: string, members: readonly number[]): Promise<void> {
  await prepareInitiator(node, members);
  const r = await login(node, members);
  if (r.rc !== 0) throw new Error(`${node.name}: login to the members failed: ${r.stderr}`);
  await node.must(
    `mdadm --create ${ARRAY} --run --uuid=${uuid} --level=1 --raid-devices=${members.length} --metadata=1.2 \\
  --bitmap=internal --bitmap-chunk=1M --homehost=pmsapp --name=pmsapp --assume-clean ${members.map(memberPath).join(" ")} 2>&1
udevadm settle --timeout=10
mkfs.ext4 -q -F -L pmsapp ${ARRAY}
mdadm --detail --export ${ARRAY} | grep -q "^MD_UUID=${uuid}$"
mdadm --stop ${ARRAY}
iscsiadm -m node --logoutall=all >/dev/null
sync`,
    { timeoutMs: 120_000 },
  );
}

export function targetsOf(members: readonly number[]): string[] {
  return members.map((m) => `${targetIqn(m)}@${portal(m)}`);
}

/** Where the whole group runs, or false. */
export function groupWhere(from: GuestNode): Promise<string | false> {
  return locateAll(from, GROUP);
}

export interface MemberView {
  readonly degraded: string;
  readonly syncAction: string;
  readonly inSync: number;
  readonly mdstat: string;
}

export async function memberView(active: GuestNode): Promise<MemberView> {
  const md = (await active.must(`readlink -f ${ARRAY}`, { timeoutMs: 10_000 })).trim();
  const s = await mdState(active, md);
  const inSync = Object.entries(s).filter(([k, v]) => k.startsWith("dev-") && v.split(",").includes("in_sync")).length;
  return { degraded: s["degraded"] ?? "?", syncAction: s["sync_action"] ?? "?", inSync, mdstat: s["mdstat"] ?? "" };
}

/** The last journal lines of the raid agent on a node (for a re-add that did not happen). */
export async function journalTail(node: GuestNode, lines = 30): Promise<string> {
  const r = await node.sh(`tail -n ${lines} ${JOURNAL} 2>&1`, { timeoutMs: 20_000 });
  return r.stdout;
}

/** The CIB ledger record of the array, under the agent's own property name (canonical UUID). */
export async function ledger(node: GuestNode, uuid: string): Promise<string> {
  const r = await node.sh(`crm_attribute --type crm_config --name ${ledgerAttribute(uuid)} --query --quiet 2>&1`, { timeoutMs: 20_000 });
  return r.stdout.trim();
}

/**
 * The CIB ledger on `node` records `members` members in sync and none dropped: the agent's own account
 * that the re-add is complete. Until its depth-10 monitor writes that record, a survivor's start refuses
 * (the ledger still names the re-added member as dropped while the other ran on), which is issue 8's rule.
 */
export async function ledgerWhole(node: GuestNode, uuid: string, members: number): Promise<{ whole: boolean; text: string }> {
  const text = await ledger(node, uuid);
  const parsed = parseLedgerRecord(text);
  return { whole: parsed.ok && parsed.record.inSync.length === members && parsed.record.failed.length === 0, text };
}

/**
 * Wait until the active node's array has all `members` in sync again (the agent's depth-10 monitor
 * re-adds the returning member; nothing here touches md) and the CIB ledger says so (the agent writes it
 * at its next depth-10 monitor; a failover before that is refused by design). On timeout the error
 * carries the md state, the agent's journal lines and the ledger, which is what an operator would look at.
 * `ms` is until md had them all in sync; `ledgerMs` until the ledger recorded it.
 */
export async function waitReadded(lab: Lab, active: GuestNode, members: number, uuid: string, timeoutMs: number): Promise<{ ms: number; ledgerMs: number; view: MemberView }> {
  const t0 = Date.now();
  try {
    const r = await lab.waitFor(
      `all ${members} members in sync on ${active.name} (re-added by the agent's depth-10 monitor)`,
      async () => {
        const v = await memberView(active);
        return v.degraded === "0" && v.syncAction === "idle" && v.inSync === members ? v : false;
      },
      { timeoutMs, intervalMs: 2000 },
    );
    await lab.waitFor(`the CIB ledger records all ${members} members in sync`, async () => (await ledgerWhole(active, uuid, members)).whole, {
      timeoutMs: Math.max(60_000, timeoutMs - (Date.now() - t0)),
      intervalMs: 2000,
    });
    return { ms: r.ms, ledgerMs: Date.now() - t0, view: r.value };
  } catch (e) {
    const view = await memberView(active).catch((x: Error) => x.message);
    throw new Error(
      `${(e as Error).message}\n--- md on ${active.name} ---\n${JSON.stringify(view)}\n--- journal (${JOURNAL}) on ${active.name} ---\n${await journalTail(active)}\n--- ledger ---\n${await ledger(active, uuid)}`,
    );
  }
}

/**
 * Lines of the cluster's own logs on `node` that tell where failover time went (corosync membership,
 * fencing, each start/stop of `resources` and its result, and what a failed start printed: pacemaker-execd
 * logs an agent's stderr as `<rsc>_start_0[pid] error output`), from the given line of each log on.
 */
export async function clusterTimeline(node: GuestNode, from: { pacemaker: number; corosync: number }, resources: readonly string[] = GROUP): Promise<string[]> {
  const names = resources.join("|");
  const r = await node.sh(
    `tail -n +${from.corosync + 1} /var/log/corosync/corosync.log 2>/dev/null | grep -E 'Token has not been received|A new membership|Members left|quorum' | sed 's/^/corosync: /'
tail -n +${from.pacemaker + 1} /var/log/pacemaker/pacemaker.log 2>/dev/null | grep -E "state is now lost|Requesting fencing|Operation '(off|reboot)'.*(OK|targeting)|Result of (start|stop|monitor) operation for (${names})|Initiating (start|stop) operation|will be fenced|Peer .* was terminated|(${names})_start_0\\[[0-9]+\\] (error )?output" | grep -v 'monitor operation.*: ok' | sed 's/^/pacemaker: /'`,
    { timeoutMs: 30_000 },
  );
  return r.stdout.split("\n").filter(Boolean);
}

export async function logLengths(node: GuestNode): Promise<{ pacemaker: number; corosync: number }> {
  const r = await node.sh("wc -l < /var/log/pacemaker/pacemaker.log; wc -l < /var/log/corosync/corosync.log", { timeoutMs: 20_000 });
  const [p = "0", c = "0"] = r.stdout.trim().split("\n");
  return { pacemaker: Number(p) || 0, corosync: Number(c) || 0 };
}

/**
 * Copies the growth of a node's pacemaker.log and agent journal to the host every `intervalMs` (through
 * the guest agent, so a cut network does not matter) into ARTIFACTS_DIR/<time>-<label>-<node>.*, so the
 * view of a node that gets fenced survives it. stop() ends the copying and returns the lines that tell
 * what the node's own resource operations did (results with their exit reasons, fencing, the stop's own
 * messages).
 */
export class NodeLogFollower {
  private readonly offsets = { pacemaker: 0, journal: 0 };
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly captured: string[] = [];
  readonly files: { pacemaker: string; journal: string };

  private constructor(readonly node: GuestNode, label: string, readonly intervalMs: number) {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const base = join(ARTIFACTS_DIR, `${new Date().toISOString().replace(/[:.]/g, "-")}-${label.replace(/[^A-Za-z0-9_-]+/g, "_")}-${node.name}`);
    this.files = { pacemaker: `${base}.pacemaker.log`, journal: `${base}.agents.jsonl` };
  }

  /** Start from the current end of both files. */
  static async start(node: GuestNode, label: string, intervalMs = 2000): Promise<NodeLogFollower> {
    const f = new NodeLogFollower(node, label, intervalMs);
    const r = await node.sh(`stat -c %s /var/log/pacemaker/pacemaker.log 2>/dev/null || echo 0; stat -c %s ${JOURNAL} 2>/dev/null || echo 0`, { timeoutMs: 20_000 });
    const [p = "0", j = "0"] = r.stdout.trim().split("\n");
    f.offsets.pacemaker = Number(p) || 0;
    f.offsets.journal = Number(j) || 0;
    f.timer = setInterval(() => {
      f.busy = f.busy.then(() => f.poll()).catch(() => undefined);
    }, intervalMs);
    return f;
  }

  private async readFrom(path: string, offset: number): Promise<string> {
    const r = await this.node.exec(["tail", "-c", `+${offset + 1}`, path], { timeoutMs: 15_000 });
    return r.rc === 0 ? r.stdout : "";
  }

  private async poll(): Promise<void> {
    if (!this.node.running) return;
    const p = await this.readFrom("/var/log/pacemaker/pacemaker.log", this.offsets.pacemaker);
    this.offsets.pacemaker += Buffer.byteLength(p);
    if (p !== "") {
      appendFileSync(this.files.pacemaker, p);
      this.captured.push(...p.split("\n").filter(Boolean));
    }
    const j = await this.readFrom(JOURNAL, this.offsets.journal);
    this.offsets.journal += Buffer.byteLength(j);
    if (j !== "") appendFileSync(this.files.journal, j);
  }

  /** Stop copying (one last read if the node still runs) and return the lines worth printing. */
  async stop(): Promise<string[]> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await this.poll().catch(() => undefined);
    return this.captured.filter((l) => NodeLogFollower.WORTH.test(l));
  }

  static readonly WORTH =
    /Result of (start|stop) operation|_stop_0.*(output|timed out)|Couldn't unmount|unmount|Unlocked NFS|Un-export|Stopping NFS|NFS server (stopped|started)|Requesting fencing|will be fenced|Operation '(off|reboot)'|Stopping (the )?cluster|Shutting down/i;
}
