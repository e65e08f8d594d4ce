/**
 * The replicated NFS service of the failover scenarios, built the README's way: every node exports its
 * disk with the product's target keeper (`/usr/libexec/pmsapp/pmsapp-target start`, what the
 * pmsapp-target service runs) and runs an NFS server with no export; one node creates the RAID1 from the
 * iSCSI LUNs (never the local disk) with a chosen UUID; Pacemaker (pacemaker.ts, the README's blocks)
 * runs the group storage = ocf:pmsapp:raid -> Filesystem -> exportfs -> IPaddr2, fenced.
 */
import { randomBytes } from "node:crypto";
import { ledgerAttribute } from "../../../agents/ledger/pacemaker.js";
import type { GuestNode, Lab } from "./lab.js";
import { say } from "./log.js";
import { locateAll } from "./pacemaker.js";
import { ARRAY, exportDisk, login, mdState, memberPath, nodeNumber, portal, prepareInitiator, targetIqn } from "./storage.js";

export const GROUP = ["sharedraid", "sharedvol", "sharednfs", "sharedip"] as const;
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
 * What a node needs before it can join (at setup and after every boot: the fast init starts nothing):
 * its disk exported by the keeper, iscsid (a survivor's agent logs in with it), nfsd running with no export,
 * the mount point.
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
  await node.must(
    `mkdir -p ${mountpoint}
pidof iscsid >/dev/null || iscsid
/etc/init.d/rpcbind start >/dev/null; : > /etc/exports
mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
rpc.nfsd 8 && { pidof rpc.mountd >/dev/null || setsid rpc.mountd >/dev/null 2>&1 </dev/null; }
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
 * Wait until the active node's array has all `members` in sync again (the agent's depth-10 monitor
 * re-adds the returning member; nothing here touches md). On timeout the error carries the md state,
 * the agent's journal lines and the ledger, which is what an operator would look at.
 */
export async function waitReadded(lab: Lab, active: GuestNode, members: number, uuid: string, timeoutMs: number): Promise<{ ms: number; view: MemberView }> {
  try {
    const r = await lab.waitFor(
      `all ${members} members in sync on ${active.name} (re-added by the agent's depth-10 monitor)`,
      async () => {
        const v = await memberView(active);
        return v.degraded === "0" && v.syncAction === "idle" && v.inSync === members ? v : false;
      },
      { timeoutMs, intervalMs: 2000 },
    );
    return { ms: r.ms, view: r.value };
  } catch (e) {
    const view = await memberView(active).catch((x: Error) => x.message);
    throw new Error(
      `${(e as Error).message}\n--- md on ${active.name} ---\n${JSON.stringify(view)}\n--- journal (${JOURNAL}) on ${active.name} ---\n${await journalTail(active)}\n--- ledger ---\n${await ledger(active, uuid)}`,
    );
  }
}

/**
 * Lines of the cluster's own logs on `node` that tell where failover time went (corosync membership,
 * fencing, each start/stop and its result), from line `fromLines` of each log on.
 */
export async function clusterTimeline(node: GuestNode, from: { pacemaker: number; corosync: number }): Promise<string[]> {
  const r = await node.sh(
    `tail -n +${from.corosync + 1} /var/log/corosync/corosync.log 2>/dev/null | grep -E 'Token has not been received|A new membership|Members left|quorum' | sed 's/^/corosync: /'
tail -n +${from.pacemaker + 1} /var/log/pacemaker/pacemaker.log 2>/dev/null | grep -E "state is now lost|Requesting fencing|Operation '(off|reboot)'.*(OK|targeting)|Result of (start|stop|monitor) operation for (sharedraid|sharedvol|sharednfs|sharedip)|Initiating (start|stop) operation|will be fenced|Peer .* was terminated" | grep -v 'monitor operation.*: ok' | sed 's/^/pacemaker: /'`,
    { timeoutMs: 30_000 },
  );
  return r.stdout.split("\n").filter(Boolean);
}

export async function logLengths(node: GuestNode): Promise<{ pacemaker: number; corosync: number }> {
  const r = await node.sh("wc -l < /var/log/pacemaker/pacemaker.log; wc -l < /var/log/corosync/corosync.log", { timeoutMs: 20_000 });
  const [p = "0", c = "0"] = r.stdout.trim().split("\n");
  return { pacemaker: Number(p) || 0, corosync: Number(c) || 0 };
}
