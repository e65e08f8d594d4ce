/**
 * The 2-node service of the no-silent-rollback scenarios (issue 8, rows 2-5), built exactly like the
 * failover scenarios' (failover-service.ts, pacemaker.ts: the README's corosync-2 and crm blocks,
 * fencing on, keeper exports, RAID1 of node1's and node2's LUNs, the NFS client writing checksummed
 * records), plus what these rows look at: a node booted alone (not quorate), the raid agent's start run
 * there by hand the way Pacemaker's executor would run it (Pacemaker itself starts nothing without
 * quorum), the agent's journal decisions, the CIB ledger record, a member's own superblock, and pmsappd
 * on the active node streaming agent events.
 */
import { parseExamine, type Examine } from "../../../agents/md/examine.js";
import { canonicalUuid } from "../../../agents/md/uuid.js";
import { parseLedgerRecord, type LedgerRecord } from "../../../agents/ledger/record.js";
import { FenceServer, labPower } from "./fence-server.js";
import type { GuestNode, Lab } from "./lab.js";
import { say, secs } from "./log.js";
import { NfsWriter } from "./nfs-writer.js";
import { NETNS } from "./paths.js";
import { installFenceAgent, rejoin, setupCluster, startStack, waitOnline, writeCorosyncConf } from "./pacemaker.js";
import { createServiceArray, groupWhere, JOURNAL, prepareServiceNode, targetsOf } from "./failover-service.js";
import { OCF_AGENT, pacemakerEnv, runAgent, storageView, type AgentRun, type NodeStorageView } from "./raid-agent.js";
import { ARRAY, MOUNTPOINT, mountOnClient } from "./storage.js";

export const MEMBERS = [1, 2] as const;
/** Bounds, not values (TCG; the demo measured a first group start of 107-278 s). */
export const GROUP_START_WITHIN_MS = 600_000;

/** One line of the agents' journal (agents/journal/journal.ts), as far as these rows read it. */
export interface JournalLine {
  readonly time: string;
  readonly agent: string;
  readonly instance: string;
  readonly action: string;
  readonly kind: string;
  readonly decision?: string;
  readonly reason?: string;
  readonly rc?: number;
  readonly details?: Record<string, unknown>;
}

/** What the agent's start did on a node: its exit, its journal decisions, md/iSCSI afterwards. */
export interface StartAttempt {
  readonly run: AgentRun;
  readonly decisions: JournalLine[];
  readonly after: NodeStorageView;
}

export class RollbackService {
  fence: FenceServer | undefined;
  writer: NfsWriter | undefined;
  readonly uuid: string;

  constructor(readonly lab: () => Lab, uuid: string) {
    this.uuid = uuid;
  }

  get nodes(): GuestNode[] {
    return this.lab().nodes;
  }

  node(name: string): GuestNode {
    return this.lab().node(name);
  }

  /** The raid primitive's parameters exactly as the README's crm block gives them (uuid, md, targets, degraded=safe). */
  get agentParams(): Record<string, string> {
    return { uuid: this.uuid, md_device: ARRAY, targets: targetsOf([...MEMBERS]).join(" "), degraded: "safe" };
  }

  /** Fence server, keeper exports, array, the README's cluster, group on node1, client mounted and writing. */
  async setUp(): Promise<string> {
    const lab = this.lab();
    this.fence = await FenceServer.start(labPower(lab), { netns: NETNS });
    await Promise.all(this.nodes.map((n) => prepareServiceNode(n, this.uuid, this.nodes, MOUNTPOINT)));
    await createServiceArray(this.node("node1"), this.uuid, [...MEMBERS]);
    const t0 = Date.now();
    await setupCluster(lab, this.nodes, { uuid: this.uuid, md: ARRAY, targets: targetsOf([...MEMBERS]), mountpoint: MOUNTPOINT, preferred: "node1" });
    const started = await this.waitGroup("the group started", GROUP_START_WITHIN_MS);
    say(`cluster set up and group started on ${started} in ${secs(Date.now() - t0)} s`);
    await mountOnClient(lab.client);
    this.writer = new NfsWriter(lab.client);
    await this.writer.start(lab);
    return started;
  }

  /** Where the whole group runs (asked on any running node), waiting up to timeoutMs. */
  async waitGroup(what: string, timeoutMs: number): Promise<string> {
    const r = await this.lab().waitFor(
      what,
      async () => {
        for (const n of this.nodes.filter((x) => x.running)) {
          const where = await groupWhere(n).catch(() => false as const);
          if (where !== false) return where;
        }
        return false;
      },
      { timeoutMs, intervalMs: 2000 },
    );
    return r.value;
  }

  /** Client clock at host time `hostMs` (offset measured now, through the guest agent). */
  async clientClock(): Promise<(hostMs: number) => number> {
    const before = Date.now();
    const client = await this.lab().client.time();
    const offset = client - (before + Date.now()) / 2;
    return (hostMs) => hostMs + offset;
  }

  /**
   * Boot `name` with the other node down (or restart its stack only, when `reboot` is false): disk
   * exported, the README's corosync block, corosync + Pacemaker started, itself online in Pacemaker.
   */
  async bootAlone(name: string, reboot: boolean): Promise<GuestNode> {
    const lab = this.lab();
    if (reboot || !this.node(name).running) await lab.restart(name);
    const node = this.node(name);
    await prepareServiceNode(node, this.uuid, this.nodes, MOUNTPOINT);
    await installFenceAgent(node);
    await writeCorosyncConf(node, this.nodes);
    await startStack(node);
    await waitOnline(lab, node, [name]);
    return node;
  }

  /** `name` back (booted when it is off), disk exported, rejoined the cluster seen from `from`. */
  async bringBack(name: string, from: GuestNode): Promise<number> {
    const lab = this.lab();
    if (!this.node(name).running) await lab.restart(name);
    const node = this.node(name);
    await prepareServiceNode(node, this.uuid, this.nodes, MOUNTPOINT);
    return rejoin(lab, node, this.nodes, from);
  }

  /** Clean shutdown of the cluster stack on one node (Pacemaker stops what runs there first). */
  async stopStack(node: GuestNode): Promise<void> {
    await node.must("/etc/init.d/pacemaker stop >/dev/null && /etc/init.d/corosync stop >/dev/null; sync", { timeoutMs: 420_000 });
  }

  /** `crm_node -q`: true when this node's partition has quorum. */
  async quorate(node: GuestNode): Promise<boolean> {
    const r = await node.sh("crm_node -q 2>/dev/null", { timeoutMs: 20_000 });
    return r.stdout.trim() === "1";
  }

  /** crm_mon's one-shot text (for the report and the quorum line). */
  async crmMon(node: GuestNode): Promise<string> {
    return (await node.sh("crm_mon -1 2>&1", { timeoutMs: 30_000 })).stdout;
  }

  journalLength(node: GuestNode): Promise<number> {
    return journalLength(node);
  }

  journalSince(node: GuestNode, from: number): Promise<JournalLine[]> {
    return journalSince(node, from);
  }

  /**
   * The raid agent's start on `node`, run by hand the way Pacemaker's executor would (the installed
   * OCF agent, the crm block's parameters, the op timeout): Pacemaker itself starts nothing on a node
   * without quorum, so this shows the agent's own answer, the line of defence when an operator forces a
   * start (crm_resource --force-start, or no-quorum-policy=ignore).
   */
  async tryStart(node: GuestNode): Promise<StartAttempt> {
    const from = await this.journalLength(node);
    const env = pacemakerEnv(node, "start", this.agentParams, { id: "sharedraid", timeoutMs: 120_000 });
    const run = await runAgent(node, OCF_AGENT, "start", env, 180_000);
    const decisions = (await this.journalSince(node, from)).filter((l) => l.kind === "decision");
    return { run, decisions, after: await storageView(node) };
  }

  /** The CIB ledger record of the array (quorate or not: this reads the local CIB copy), parsed. */
  async ledger(node: GuestNode): Promise<LedgerRecord | undefined> {
    // The agent names the property after the canonical UUID (32 hex digits), not mdadm's spelling.
    const r = await node.sh(`crm_attribute --type crm_config --name pmsapp-ledger-${canonicalUuid(this.uuid)} --query --quiet 2>/dev/null`, { timeoutMs: 20_000 });
    if (r.rc !== 0 || r.stdout.trim() === "") return undefined;
    const p = parseLedgerRecord(r.stdout.trim());
    return p.ok ? p.record : undefined;
  }

  /** A node's own data disk's md superblock (its member, as its target exports it). */
  async ownSuperblock(node: GuestNode): Promise<Examine> {
    const n = /^node(\d)$/.exec(node.name)?.[1];
    const out = await node.must(`mdadm --examine /dev/disk/by-id/virtio-data${n}`, { timeoutMs: 30_000 });
    const p = parseExamine(out);
    if (!p.ok) throw new Error(`${node.name}: cannot read its member's superblock: ${p.error}\n${out}`);
    return p.value;
  }

  async stop(): Promise<void> {
    if (this.writer !== undefined) {
      await this.writer.stop(this.lab()).catch((e: Error) => say(`writer stop: ${e.message}`));
    }
    await this.fence?.stop();
  }
}

/** How many lines the agents' journal on `node` has (0 when there is none yet). */
export async function journalLength(node: GuestNode): Promise<number> {
  const r = await node.sh(`wc -l < ${JOURNAL} 2>/dev/null || echo 0`, { timeoutMs: 20_000 });
  return Number(r.stdout.trim()) || 0;
}

/** The journal's lines from line `from` on (0-based count of lines to skip), parsed; unreadable lines skipped. */
export async function journalSince(node: GuestNode, from: number): Promise<JournalLine[]> {
  const r = await node.sh(`tail -n +${from + 1} ${JOURNAL} 2>/dev/null`, { timeoutMs: 30_000 });
  return parseJournal(r.stdout);
}

export function parseJournal(text: string): JournalLine[] {
  const out: JournalLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const j = JSON.parse(line) as JournalLine;
      if (typeof j.kind === "string" && typeof j.agent === "string") out.push(j);
    } catch {
      /* a torn last line (power cut) is no decision */
    }
  }
  return out;
}

/** The ledger's drop record of a device (by its md device UUID, any notation), if any. */
export function droppedAt(record: LedgerRecord | undefined, devUuid: string): number | undefined {
  const dev = canonicalUuid(devUuid);
  return record?.failed.find((f) => f.dev === dev)?.events;
}

/** Short text of a journal decision for the report. */
export function describeDecisions(lines: readonly JournalLine[]): string {
  return lines.map((l) => `${l.action}/${l.decision ?? l.kind}: ${(l.reason ?? "").slice(0, 400)}`).join("\n    ") || "(none)";
}
