/**
 * Corosync + Pacemaker on the lab nodes (lab-facts §11), set up with the README's own commands: the
 * install section's blocks between `<!-- lab:corosync-3 -->`, `<!-- lab:corosync-2 -->` and
 * `<!-- lab:crm -->` markers are extracted and run as written, with only the variable lines at the top
 * of each block replaced by the lab's values (readmeBlock/renderReadmeBlock), so the README cannot drift
 * from what ran. Fencing is on: every node gets the lab's fence agent (/usr/sbin/fence_pmsapp_lab), which
 * asks the FenceServer (fence-server.ts) on 10.99.0.1 to power-kill a VM.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FENCE_ADDRESS, FENCE_AGENT, FENCE_AGENT_SOURCE, FENCE_PORT } from "./fence-server.js";
import type { GuestNode, Lab } from "./lab.js";
import { REPO_ROOT } from "./paths.js";

export type ReadmeBlockName = "corosync-3" | "corosync-2" | "crm";

export interface ReadmeBlock {
  /** The variables the block defines at its top, in order. */
  readonly names: readonly string[];
  /** The README's example value of each variable (as written, quotes included). */
  readonly examples: Readonly<Record<string, string>>;
  /** Everything after the variable lines, verbatim. */
  readonly body: string;
}

const VARIABLE_LINE = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/** The fenced sh block between `<!-- lab:NAME -->` and `<!-- /lab:NAME -->` in the README text. */
export function readmeBlock(name: ReadmeBlockName, readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8")): ReadmeBlock {
  const open = `<!-- lab:${name} -->`;
  const close = `<!-- /lab:${name} -->`;
  const a = readme.indexOf(open);
  const b = readme.indexOf(close);
  if (a < 0 || b < a) throw new Error(`README.md has no block between ${open} and ${close}`);
  if (readme.indexOf(open, a + 1) >= 0) throw new Error(`README.md has ${open} twice`);
  const fenced = /```sh\n([\s\S]*?)```/.exec(readme.slice(a + open.length, b));
  if (fenced === null || fenced[1] === undefined) throw new Error(`the README block ${name} has no \`\`\`sh fence`);
  const lines = fenced[1].split("\n");
  const names: string[] = [];
  const examples: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = VARIABLE_LINE.exec(lines[i] as string);
    if (m === null) break;
    names.push(m[1] as string);
    examples[m[1] as string] = m[2] as string;
  }
  if (names.length === 0) throw new Error(`the README block ${name} defines no variables at its top`);
  return { names, examples, body: lines.slice(i).join("\n") };
}

/** A value as one shell word: single-quoted, a single quote inside written as '\''. */
export function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The README block with the lab's values in its variables. Every variable the block defines must get a
 * value and no other value may be given: a README edit that adds or renames one fails here, loudly.
 */
export function renderReadmeBlock(name: ReadmeBlockName, values: Readonly<Record<string, string>>, readme?: string): string {
  const block = readmeBlock(name, readme);
  const missing = block.names.filter((n) => values[n] === undefined);
  const extra = Object.keys(values).filter((n) => !block.names.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`README block ${name}: ${missing.length > 0 ? `no lab value for ${missing.join(", ")}` : ""}${missing.length > 0 && extra.length > 0 ? "; " : ""}${extra.length > 0 ? `not defined in the README: ${extra.join(", ")}` : ""}`);
  }
  return ["set -e", ...block.names.map((n) => `${n}=${shellWord(values[n] as string)}`), block.body].join("\n");
}

/** The lab's values for the corosync block of its layout (2 or 3 nodes). */
export function corosyncValues(nodes: readonly GuestNode[]): Record<string, string> {
  const values: Record<string, string> = { CLUSTER: "pmsapp", CRYPTO_CIPHER: "none", CRYPTO_HASH: "none" };
  nodes.forEach((n, i) => {
    values[`NODE${i + 1}`] = n.name;
    values[`HB${i + 1}`] = n.ip("hb");
  });
  return values;
}

export interface ServiceValues {
  /** The array's UUID (mdadm --create --uuid). */
  readonly uuid: string;
  readonly md: string;
  /** `IQN@portal` of every member, in slot order. */
  readonly targets: readonly string[];
  readonly mountpoint: string;
  readonly preferred: string;
}

/** The lab's values for the crm block. */
export function crmValues(nodes: readonly GuestNode[], s: ServiceValues): Record<string, string> {
  return {
    NODES: nodes.map((n) => n.name).join(" "),
    PREFERRED: s.preferred,
    UUID: s.uuid,
    MD: s.md,
    TARGETS: s.targets.join(" "),
    MOUNTPOINT: s.mountpoint,
    CLIENTS: "10.99.0.0/24",
    VIP: "10.99.0.100",
    // Shell resource agents under TCG need far more than Pacemaker's 20 s default per operation.
    OP_TIMEOUT: "120s",
    FENCE_AGENT,
    // The test restarts a fenced VM itself (and then starts its cluster stack): reboot becomes off.
    FENCE_PARAMS: `ipaddr=${FENCE_ADDRESS} ipport=${FENCE_PORT} pcmk_reboot_action=off`,
    FENCE_DELAY_MAX: nodes.length === 2 ? "5s" : "0s",
  };
}

/** /usr/sbin/fence_pmsapp_lab in the guest (where Pacemaker's fencer looks for fence_* agents). */
export async function installFenceAgent(node: GuestNode): Promise<void> {
  await node.writeFile(`/usr/sbin/${FENCE_AGENT}`, readFileSync(FENCE_AGENT_SOURCE, "utf8"), "0755");
}

/** The README's corosync block for this layout, on one node. */
export async function writeCorosyncConf(node: GuestNode, layout: readonly GuestNode[]): Promise<void> {
  const block: ReadmeBlockName = layout.length === 2 ? "corosync-2" : "corosync-3";
  if (layout.length !== 2 && layout.length !== 3) throw new Error(`the README shows 2- and 3-node layouts, not ${layout.length}`);
  await node.must(renderReadmeBlock(block, corosyncValues(layout)), { timeoutMs: 30_000 });
}

/** corosync + pacemaker on one node, the way the lab's fast init can (Debian's init scripts). */
export async function startStack(node: GuestNode): Promise<void> {
  await node.must("mkdir -p /var/log/corosync /var/log/pacemaker; /etc/init.d/corosync start >/dev/null && /etc/init.d/pacemaker start >/dev/null", { timeoutMs: 120_000 });
}

/** The node names crm_mon on `from` shows online. */
export async function onlineNodes(from: GuestNode): Promise<string[]> {
  const r = await from.sh("crm_mon -1 2>/dev/null | grep -E '^ *\\* Online:|^Online:'", { timeoutMs: 20_000 });
  const m = /\[([^\]]*)\]/.exec(r.stdout);
  return m?.[1] !== undefined ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

export async function waitOnline(lab: Lab, from: GuestNode, names: readonly string[], timeoutMs = 240_000): Promise<number> {
  const r = await lab.waitFor(
    `${names.join(", ")} online in Pacemaker (seen from ${from.name})`,
    async () => {
      const online = await onlineNodes(from);
      return names.every((n) => online.includes(n)) ? online : false;
    },
    { timeoutMs, intervalMs: 2000 },
  );
  return r.ms;
}

export interface ClusterTimings {
  /** corosync.conf written + stacks started until every node is online. */
  readonly onlineMs: number;
  /** The README's crm block (one crmsh transaction) ran. */
  readonly configureMs: number;
}

/**
 * The README's Pacemaker path on the given nodes: fence agent, corosync block on every node, stacks
 * started, every node online, then the crm block on the first node (fencing, group, location).
 */
export async function setupCluster(lab: Lab, nodes: readonly GuestNode[], service: ServiceValues): Promise<ClusterTimings> {
  const t0 = Date.now();
  await Promise.all(
    nodes.map(async (n) => {
      await installFenceAgent(n);
      await writeCorosyncConf(n, nodes);
      await startStack(n);
    }),
  );
  const first = nodes[0] as GuestNode;
  await waitOnline(lab, first, nodes.map((n) => n.name));
  const onlineMs = Date.now() - t0;
  const t1 = Date.now();
  await first.must(renderReadmeBlock("crm", crmValues(nodes, service)), { timeoutMs: 180_000 });
  return { onlineMs, configureMs: Date.now() - t1 };
}

/** A node that was power-killed (or fenced) and restarted rejoins: same README corosync block, stack started. */
export async function rejoin(lab: Lab, node: GuestNode, layout: readonly GuestNode[], from: GuestNode): Promise<number> {
  const t0 = Date.now();
  await installFenceAgent(node);
  await writeCorosyncConf(node, layout);
  await startStack(node);
  await waitOnline(lab, from, [node.name]);
  return Date.now() - t0;
}

/** The node where every one of `resources` is started, or false while they are not all on one node. */
export async function locateAll(node: GuestNode, resources: readonly string[]): Promise<string | false> {
  const where = await Promise.all(resources.map((r) => locate(node, r)));
  const first = where[0];
  return first !== undefined && where.every((w) => w === first) ? first : false;
}

/** Where Pacemaker runs a resource now (crm_resource --locate), or undefined. */
export async function locate(node: GuestNode, resource: string): Promise<string | undefined> {
  const r = await node.sh(`crm_resource --resource ${resource} --locate 2>/dev/null`, { timeoutMs: 20_000 });
  const m = /is running on: (\S+)/.exec(r.stdout);
  return m?.[1];
}
