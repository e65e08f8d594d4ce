/**
 * The 3-node RAID5 service of issue 8's RAID5 rows (rollback-raid5.lab.test.ts): the 2-node rows'
 * service (rollback-cluster.ts: the README's corosync and crm blocks, fencing on, keeper exports, the NFS
 * client writing checksummed records, journal, ledger and superblock readers) on three nodes, with the
 * array a RAID5 with an internal bitmap over the iSCSI LUNs of node1, node2 and node3 (the install
 * guide's layout, `raid5-bitmap` in agents/layout/layouts.ts), plus what these rows look at: the group
 * stopped and started with crmsh, the raid primitive's `degraded` parameter changed the operator's way,
 * Pacemaker's failed starts, the agent's start decisions per node, its stderr as pacemaker-execd logs it,
 * and md's own clean/dirty state on the active node.
 */
import type { DegradedPolicy } from "../../../agents/raid/params.js";
import { FenceServer, labPower } from "./fence-server.js";
import { failedStartNode } from "./failover-bench.js";
import { GROUP, prepareServiceNode, targetsOf } from "./failover-service.js";
import type { GuestNode } from "./lab.js";
import { say, secs } from "./log.js";
import { NfsWriter } from "./nfs-writer.js";
import { locate, setupCluster } from "./pacemaker.js";
import { NETNS } from "./paths.js";
import { OCF_AGENT, pacemakerEnv, runAgent, type AgentRun } from "./raid-agent.js";
import { GROUP_START_WITHIN_MS, RollbackService, type JournalLine } from "./rollback-cluster.js";
import { ARRAY, login, memberPath, MOUNTPOINT, mountOnClient, prepareInitiator } from "./storage.js";

/** node1, node2, node3: slot N-1 holds node N's LUN. */
export const RAID5_MEMBERS = [1, 2, 3] as const;
export const PACEMAKER_LOG = "/var/log/pacemaker/pacemaker.log";

/** The slot (0-based) of a node's member in the array. */
export function slotOfNode(name: string): number {
  const m = /^node([123])$/.exec(name);
  if (m === null) throw new Error(`${name} holds no member of the 3-node array`);
  return Number(m[1]) - 1;
}

/**
 * The member to power-kill for row R1: a node that holds a member but does not run the group, node3
 * unless the group runs there (then node2).
 */
export function memberNotActive(active: string): string {
  return active === "node3" ? "node2" : "node3";
}

/**
 * The README's step 3 for the guide's layout on `node`: log in to the members' targets, create a RAID5
 * with an internal bitmap (1 MiB chunk) and the chosen UUID, ext4, stop, log out. --assume-clean: the
 * lab's data disks are blank, and the parity of zeros is zeros, so the stripes are already consistent.
 */
export async function createRaid5ServiceArray(node: GuestNode, uuid: string, members: readonly number[]): Promise<void> {
  if (members.length < 3) throw new Error(`a RAID5 needs 3 members or more, not ${members.length}`);
  await prepareInitiator(node, members);
  const r = await login(node, members);
  if (r.rc !== 0) throw new Error(`${node.name}: login to the members failed: ${r.stderr}`);
  await node.must(
    `mdadm --create ${ARRAY} --run --uuid=${uuid} --level=5 --raid-devices=${members.length} --metadata=1.2 \\
  --bitmap=internal --bitmap-chunk=1M --homehost=pmsapp --name=pmsapp --assume-clean ${members.map(memberPath).join(" ")} 2>&1
udevadm settle --timeout=10
mkfs.ext4 -q -F -L pmsapp ${ARRAY}
mdadm --detail --export ${ARRAY} | grep -q "^MD_LEVEL=raid5$"
mdadm --detail --export ${ARRAY} | grep -q "^MD_UUID=${uuid}$"
mdadm --stop ${ARRAY}
iscsiadm -m node --logoutall=all >/dev/null
sync`,
    { timeoutMs: 180_000 },
  );
}

/** A start decision of the raid agent, with the node whose journal holds it. */
export interface NodeDecision extends JournalLine {
  readonly node: string;
}

/** Start outcomes the rows tell apart (journal decision names, agents/raid/start.ts). */
export const ASSEMBLED = ["assemble", "assemble-degraded", "force-assemble", "already-running"] as const;

export function isRefusal(d: JournalLine): boolean {
  return (d.decision ?? "").startsWith("refuse-");
}

export function isAssembly(d: JournalLine): boolean {
  return (ASSEMBLED as readonly string[]).includes(d.decision ?? "");
}

/** One line per decision for the report: `node start/decision: reason`. */
export function describeNodeDecisions(ds: readonly NodeDecision[]): string {
  return ds.map((d) => `${d.node} ${d.action}/${d.decision ?? d.kind}: ${(d.reason ?? "").slice(0, 400)}`).join("\n    ") || "(none)";
}

export class Raid5RollbackService extends RollbackService {
  /** The raid primitive's parameters exactly as the README's crm block gives them, over three members. */
  override get agentParams(): Record<string, string> {
    return { uuid: this.uuid, md_device: ARRAY, targets: targetsOf([...RAID5_MEMBERS]).join(" "), degraded: "safe" };
  }

  /** Fence server, keeper exports, the RAID5, the README's 3-node cluster, group on node1, client writing. */
  override async setUp(): Promise<string> {
    const lab = this.lab();
    this.fence = await FenceServer.start(labPower(lab), { netns: NETNS });
    await Promise.all(this.nodes.map((n) => prepareServiceNode(n, this.uuid, this.nodes, MOUNTPOINT)));
    await createRaid5ServiceArray(this.node("node1"), this.uuid, [...RAID5_MEMBERS]);
    const t0 = Date.now();
    const c = await setupCluster(lab, this.nodes, { uuid: this.uuid, md: ARRAY, targets: targetsOf([...RAID5_MEMBERS]), mountpoint: MOUNTPOINT, preferred: "node1" });
    const started = await this.waitGroup("the group started", GROUP_START_WITHIN_MS);
    say(`cluster online ${secs(c.onlineMs)} s, README crm block ${secs(c.configureMs)} s, group started on ${started} ${secs(Date.now() - t0 - c.onlineMs - c.configureMs)} s after configuration`);
    await mountOnClient(lab.client);
    this.writer = new NfsWriter(lab.client);
    await this.writer.start(lab);
    return started;
  }

  /** The running nodes other than `except`. */
  others(except: string): GuestNode[] {
    return this.nodes.filter((n) => n.name !== except && n.running);
  }

  /** Wait until no resource of group storage runs anywhere (asked on `from`). */
  async waitGroupStopped(from: GuestNode, timeoutMs: number): Promise<number> {
    const r = await this.lab().waitFor(
      "every resource of group storage stopped",
      async () => (await Promise.all(GROUP.map((x) => locate(from, x)))).every((w) => w === undefined),
      { timeoutMs, intervalMs: 2000 },
    );
    return r.ms;
  }

  /** Whether any resource of the group runs anywhere now (asked on `from`). */
  async groupRunsAnywhere(from: GuestNode): Promise<string[]> {
    const where = await Promise.all(GROUP.map(async (x) => ({ x, on: await locate(from, x) })));
    return where.filter((w) => w.on !== undefined).map((w) => `${w.x} on ${w.on}`);
  }

  /**
   * The operator's way to change the raid primitive's degraded policy (crmsh, as the README's crm block
   * configured it), read back from the CIB: the value Pacemaker will pass is the one asked for.
   */
  async setDegraded(from: GuestNode, policy: DegradedPolicy): Promise<void> {
    await from.must(`crm resource param sharedraid set degraded ${policy}`, { timeoutMs: 120_000 });
    const now = (await from.must("crm_resource --resource sharedraid --get-parameter degraded", { timeoutMs: 60_000 })).trim().split("\n").pop()?.trim();
    if (now !== policy) throw new Error(`${from.name}: sharedraid's degraded reads ${JSON.stringify(now)} after setting it to ${policy}`);
  }

  /** crm_mon's "Failed Resource Actions" entries (one line each, trimmed). */
  async failedActions(from: GuestNode): Promise<string[]> {
    const r = await from.sh("crm_mon -1 2>/dev/null | sed -n '/Failed Resource Actions/,$p'", { timeoutMs: 30_000 });
    return r.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("*"));
  }

  /** The failed starts of sharedraid among them, with the node of each. */
  async failedRaidStarts(from: GuestNode): Promise<{ node: string; line: string }[]> {
    return (await this.failedActions(from))
      .filter((l) => l.includes("sharedraid"))
      .flatMap((line) => {
        const node = failedStartNode(line);
        return node === undefined ? [] : [{ node, line }];
      });
  }

  /**
   * Forget earlier failures (a start refused on a node bans it: start-failure-is-fatal), so that each
   * row starts with every node eligible and crm_mon's failed actions are the row's own. Re-probes the
   * resources; a running group keeps running. Returns the lines it cleared.
   */
  async clearFailures(from: GuestNode): Promise<string[]> {
    const before = await this.failedActions(from);
    if (before.length === 0) return [];
    await from.must("crm_resource --cleanup", { timeoutMs: 120_000 });
    await this.lab().waitFor("crm_mon shows no failed actions after the cleanup", async () => (await this.failedActions(from)).length === 0, { timeoutMs: 180_000, intervalMs: 3000 });
    return before;
  }

  /** The raid agent's start decisions on `node` from journal line `from` on. */
  async startDecisions(node: GuestNode, from: number): Promise<NodeDecision[]> {
    return (await this.journalSince(node, from)).filter((l) => l.kind === "decision" && l.action === "start").map((l) => ({ ...l, node: node.name }));
  }

  /** Every decision (any action) on `node` from journal line `from` on. */
  async decisions(node: GuestNode, from: number): Promise<NodeDecision[]> {
    return (await this.journalSince(node, from)).filter((l) => l.kind === "decision").map((l) => ({ ...l, node: node.name }));
  }

  async pacemakerLogSize(node: GuestNode): Promise<number> {
    const r = await node.sh(`stat -c %s ${PACEMAKER_LOG} 2>/dev/null || echo 0`, { timeoutMs: 20_000 });
    return Number(r.stdout.trim()) || 0;
  }

  /** Lines of pacemaker.log on `node` after byte `fromBytes` that contain `text` (fixed string). */
  async pacemakerLogLines(node: GuestNode, fromBytes: number, text: string): Promise<string[]> {
    const r = await node.exec(["/bin/sh", "-c", `tail -c +${fromBytes + 1} ${PACEMAKER_LOG} | grep -F -e "$1"`, "grep-log", text], { timeoutMs: 30_000 });
    return r.stdout.split("\n").filter(Boolean);
  }

  /**
   * Keep the array on `active` marked dirty while the client writes: md marks an array clean (its
   * superblocks "clean") after safe_mode_delay without writes (200 ms by default) and dirty again
   * before the next write. The writer pauses 50 ms between fsynced records, so under TCG an idle moment
   * can catch a clean superblock at the kill, and row R2 is about the crash of a node in the middle of
   * its writes. Raising the delay on the active node (in memory only; gone with the kill) keeps the
   * superblocks "active" from the next write on. The caller checks the survivors' superblocks after the
   * kill: that is the precondition, measured.
   */
  async holdDirty(active: GuestNode): Promise<{ delay: string; arrayState: string }> {
    const md = (await active.must(`readlink -f ${ARRAY}`, { timeoutMs: 10_000 })).trim();
    if (!/^\/dev\/md\d+$/.test(md)) throw new Error(`${active.name}: ${ARRAY} is not an md device: ${md}`);
    const sys = `/sys/block/${md.slice("/dev/".length)}/md`;
    await active.must(`echo 60 > ${sys}/safe_mode_delay`, { timeoutMs: 10_000 });
    const delay = (await active.must(`cat ${sys}/safe_mode_delay`, { timeoutMs: 10_000 })).trim();
    const r = await this.lab().waitFor(
      `${md} on ${active.name} dirty (array_state active) while the client writes`,
      async () => {
        const s = (await active.must(`cat ${sys}/array_state`, { timeoutMs: 10_000 })).trim();
        return s === "active" ? s : false;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    return { delay, arrayState: r.value };
  }

  /** The agent's validate-all on `node` with the crm block's parameters and the given degraded policy. */
  async validateAll(node: GuestNode, degraded: DegradedPolicy): Promise<AgentRun> {
    const env = pacemakerEnv(node, "validate-all", { ...this.agentParams, degraded }, { id: "sharedraid", timeoutMs: 60_000 });
    return runAgent(node, OCF_AGENT, "validate-all", env, 120_000);
  }

  /** Slots of the given node names, sorted. */
  static slots(names: readonly string[]): number[] {
    return names.map(slotOfNode).sort((a, b) => a - b);
  }
}

