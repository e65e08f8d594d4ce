/**
 * `npm run lab`: the main job a new user runs. Builds or reuses the image, boots 3 nodes and an NFS
 * client, installs pmsapp (the staged tree), and when the staged tree has the ocf:pmsapp:raid agent
 * sets the cluster up the way the README's install section says (the same library calls as
 * failover.lab.test.ts): the target keeper exports each node's disk, node1 creates the RAID1 from the
 * iSCSI LUNs of node1 and node2, corosync and Pacemaker run the README's own blocks with fencing ON
 * (fence_pmsapp_lab -> the demo's fence server -> power-kill of the VM) and the group
 * storage = raid -> Filesystem -> nfsserver -> exportfs -> IPaddr2 -> nfsnotify. The client writes
 * checksummed data through the VIP, pmsappd's event stream is followed on a node that is not active, `pmsapp status` runs,
 * the active node is power-killed (Pacemaker fences it, the group starts on a survivor), the victim
 * comes back and the agent re-adds its member, the checksums are verified, and a timing table is printed.
 * Everything is torn down at the end (and on Ctrl-C).
 *
 * Where the staged tree has no agent yet, the demo says so and runs the older story by hand (tgtd,
 * iscsiadm, mdadm, exportfs, a VIP; a mirror power-killed and re-added with mdadm). Without qemu,
 * /dev/net/tun or root it says exactly why and replays the captured outputs (REPLAY).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  GROUP,
  JOURNAL,
  clusterTimeline,
  createServiceArray,
  groupWhere,
  ledgerWhole,
  logLengths,
  memberView,
  newArrayUuid,
  prepareServiceNode,
  targetsOf,
  waitReadded,
} from "./lib/failover-service.js";
import { FenceServer, labPower, type FenceEvent } from "./lib/fence-server.js";
import { Lab, labPrerequisites, type GuestNode } from "./lib/lab.js";
import { say, secs } from "./lib/log.js";
import { journalLength, journalSince } from "./lib/rollback-cluster.js";
import { rejoin, setupCluster } from "./lib/pacemaker.js";
import { NETNS, REPO_ROOT } from "./lib/paths.js";
import {
  ARRAY,
  CLIENT_MOUNT,
  MOUNTPOINT,
  createArray,
  exportDisk,
  login,
  mdState,
  mountOnClient,
  prepareInitiator,
  readdUntilInSync,
  serveNfs,
  verifyChecksums,
  writeChecksummed,
  faultyMembers,
  waitSessionLoggedIn,
} from "./lib/storage.js";

interface Row {
  readonly step: string;
  readonly seconds: string;
  readonly result: string;
}

const rows: Row[] = [];

// Bounds, not values (TCG on a busy 2-core host; the same bounds as failover.lab.test.ts).
const FIRST_START_WITHIN_MS = 600_000;
const FAILOVER_WITHIN_MS = 420_000;
const READD_WITHIN_MS = 300_000;
const LEDGER_WITHIN_MS = 120_000;

async function step<T>(title: string, fn: () => Promise<{ value: T; result: string }>): Promise<T> {
  say(`== ${title}`);
  const t0 = Date.now();
  const { value, result } = await fn();
  rows.push({ step: title, seconds: secs(Date.now() - t0), result });
  say(`   ${result} (${secs(Date.now() - t0)} s)`);
  return value;
}

function note(title: string, why: string): void {
  rows.push({ step: title, seconds: "-", result: `not run: ${why}` });
  say(`== ${title}: not run: ${why}`);
}

function printTable(mode: string): void {
  const w = Math.max(...rows.map((r) => r.step.length), 4);
  const lines = [`${mode} summary`, `${"step".padEnd(w)}  ${"s".padStart(6)}  result`, `${"-".repeat(w)}  ${"-".repeat(6)}  ------`];
  for (const r of rows) lines.push(`${r.step.padEnd(w)}  ${r.seconds.padStart(6)}  ${r.result}`);
  process.stdout.write(lines.join("\n") + "\n");
}

let eventLinesShown = 0;

/** Print what the watcher's `pmsapp events --follow` received since the last call. */
async function showEvents(node: GuestNode): Promise<void> {
  const r = await node.sh("cat /tmp/pmsapp-events.log 2>/dev/null", { timeoutMs: 20_000 }).catch(() => undefined);
  if (r === undefined) return;
  const lines = r.stdout.split("\n").filter(Boolean);
  for (const l of lines.slice(eventLinesShown)) process.stdout.write(`  events| ${l}\n`);
  eventLinesShown = lines.length;
}

async function has(node: GuestNode, path: string): Promise<boolean> {
  return (await node.exec(["test", "-e", path], { timeoutMs: 10_000 })).rc === 0;
}

/** The client mounts the export through the VIP and writes the first checksummed file. */
async function clientWritesThroughVip(client: GuestNode): Promise<void> {
  await step("client mounts NFS v4.2 through the VIP, writes 16 MiB with checksum", async () => {
    await mountOnClient(client);
    const w = await writeChecksummed(client, "demo-before.bin", 16);
    return { value: undefined, result: `md5 ${w.md5.slice(0, 12)}…, write+fsync ${w.seconds.toFixed(1)} s` };
  });
}

/** pmsappd on every node, the watcher's event stream followed; `pmsapp status` on node1. */
async function daemonsAndStatus(lab: Lab, watcher: GuestNode): Promise<void> {
  const node1 = lab.node("node1");
  if (await has(node1, "/usr/sbin/pmsappd")) {
    await step(`pmsappd on every node; the event stream of ${watcher.name} followed live`, async () => {
      const started: string[] = [];
      for (const n of lab.nodes) {
        await n.sh("mkdir -p /var/log/pmsapp; pidof -x pmsappd >/dev/null || { setsid /usr/sbin/pmsappd >/var/log/pmsapp/pmsappd.log 2>&1 </dev/null & }", { timeoutMs: 20_000 });
        const up = await lab
          .waitFor(`pmsappd on ${n.name}`, async () => (await n.sh("pmsapp status --node $(hostname) >/dev/null 2>&1")).rc === 0, { timeoutMs: 60_000, intervalMs: 2000 })
          .then(() => true)
          .catch(() => false);
        if (up) started.push(n.name);
      }
      await watcher.sh("{ setsid pmsapp events --follow >/tmp/pmsapp-events.log 2>&1 </dev/null & }", { timeoutMs: 20_000 });
      return { value: undefined, result: `answering on ${started.join(", ") || "no node"} (logs in /var/log/pmsapp/pmsappd.log)` };
    });
  } else {
    note("pmsappd event stream", "pmsappd is not in the staged tree yet");
  }

  if (await has(node1, "/usr/bin/pmsapp")) {
    await step("pmsapp status on node1", async () => {
      const r = await node1.sh("pmsapp status 2>&1 | head -n 30", { timeoutMs: 60_000 });
      process.stdout.write(r.stdout);
      return { value: undefined, result: `exit ${r.rc}` };
    });
  } else {
    note("pmsapp status / live event stream (pmsappd)", "the pmsapp CLI and pmsappd are not in the staged tree yet");
  }
}

/** The lab node whose management address a fence request came from (the relay reports the peer address). */
function askedBy(lab: Lab, peer: string): string {
  const address = peer.replace(/^::ffff:/, "");
  return lab.nodes.find((n) => n.ip("nfs") === address)?.name ?? peer;
}

function describeFencing(lab: Lab, events: readonly FenceEvent[], since: number): string {
  return events.map((e) => `${askedBy(lab, e.peer)} fenced ${e.node ?? "?"} (${e.action}, ${secs(e.at - since)} s after the kill, ${e.reply.split("\n")[0]})`).join("; ");
}

/** The raid agent's "re-add" decisions in the journal on `node` after line `from` (its own word that it re-added). */
async function readdDecisions(node: GuestNode, from: number): Promise<string[]> {
  return (await journalSince(node, from)).filter((l) => l.decision === "re-add").map((l) => `${l.time} ${l.reason ?? ""}`.trim());
}

/**
 * The README's Pacemaker path, fenced: fence server, keeper exports, array, corosync + crm blocks, group;
 * then the story: client, pmsappd, status, power-kill of the active node, fencing, failover, return,
 * re-add by the agent. `fence.server` is set as soon as the fence server runs, so live() can stop it.
 */
async function fencedClusterStory(lab: Lab, fence: { server?: FenceServer }): Promise<void> {
  const node1 = lab.node("node1");
  const client = lab.client;
  const uuid = newArrayUuid();
  const members = [1, 2] as const;

  await step("fence server on the management network (fence_pmsapp_lab -> power-kill of a VM)", async () => {
    fence.server = await FenceServer.start(labPower(lab), { netns: NETNS });
    return { value: undefined, result: `listening on ${fence.server.listening}` };
  });

  await step("every node: disk exported by the target keeper, iscsid, NFS server installed but stopped", async () => {
    const by = await Promise.all(lab.nodes.map((n) => prepareServiceNode(n, uuid, lab.nodes, MOUNTPOINT)));
    const how = by.map((b, i) => `${lab.nodes[i]?.name}: ${b.by === "pmsapp-target" ? "pmsapp-target" : `tgtadm (${b.why})`}`);
    return { value: undefined, result: how.join("; ") };
  });

  await step(`node1: RAID1 over the iSCSI LUNs of node${members[0]}+node${members[1]}, 1 MiB bitmap, ext4, then stopped`, async () => {
    await createServiceArray(node1, uuid, members);
    return { value: undefined, result: `UUID ${uuid}; Pacemaker's raid agent assembles it from here on` };
  });

  await step("Pacemaker the README's way: corosync block, crm block (stonith-enabled=true, fence_pmsapp_lab)", async () => {
    const c = await setupCluster(lab, lab.nodes, { uuid, md: ARRAY, targets: targetsOf(members), mountpoint: MOUNTPOINT, preferred: "node1" });
    // Lab-only, as in failover.lab.test.ts: after node1, prefer node2 (it holds the other member) over node3.
    await node1.must(`cibadmin -C -o constraints -X '<rsc_location id="storage-then-node2" rsc="storage" node="node2" score="50"/>'`, { timeoutMs: 60_000 });
    const stonith = (await node1.must("crm_attribute --type crm_config --name stonith-enabled --query --quiet", { timeoutMs: 30_000 })).trim();
    if (stonith !== "true") throw new Error(`stonith-enabled is "${stonith}" after the README's crm block: the demo runs only with fencing on`);
    return { value: undefined, result: `3 nodes online after ${secs(c.onlineMs)} s, crm block ${secs(c.configureMs)} s, stonith-enabled=${stonith}` };
  });

  let active = await step(`Pacemaker starts group storage (${GROUP.join(" -> ")})`, async () => {
    const where = await lab.waitFor("the group started", async () => groupWhere(node1), { timeoutMs: FIRST_START_WITHIN_MS, intervalMs: 2000 });
    // A failover before the agent's ledger names both members in sync would be refused by design (issue 8).
    const ledger = await lab.waitFor("the CIB ledger records both members in sync", async () => (await ledgerWhole(lab.node(where.value), uuid, members.length)).whole, {
      timeoutMs: LEDGER_WITHIN_MS,
      intervalMs: 2000,
    });
    return { value: where.value, result: `started on ${where.value} after ${secs(where.ms)} s; CIB ledger: ${members.length} members in sync ${secs(ledger.ms)} s later` };
  });

  await clientWritesThroughVip(client);
  // The operator watches from a node that is not about to be power-killed: the first one not running the group.
  const watcher = lab.nodes.find((n) => n.name !== active && n.running) as GuestNode;
  await daemonsAndStatus(lab, watcher);

  const victim = active;
  const watch = lab.nodes.find((n) => n.name !== victim && n.running) as GuestNode;
  const logFrom = await logLengths(watch);
  await step(`power-kill the active node (${victim}): Pacemaker fences it, the group starts on a survivor`, async () => {
    const killedAt = await lab.kill(victim);
    const moved = await lab.waitFor(
      `the group started on a survivor of ${victim}`,
      async () => {
        const where = await groupWhere(watch);
        return where !== false && where !== victim ? where : false;
      },
      { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 1000 },
    );
    const groupMs = Date.now() - killedAt;
    const server = fence.server as FenceServer;
    const fenced = server.fencedSince(victim, killedAt - 1000);
    if (fenced.length === 0) throw new Error(`the group started on ${moved.value} but the lab's fence server did no power action on ${victim}: fencing did not go through the fence device`);
    process.stdout.write(fenced.map((e) => `  fence| ${askedBy(lab, e.peer)} asked to ${e.action} ${e.node ?? "?"} ${secs(e.at - killedAt)} s after the kill: ${e.reply.split("\n")[0]} (${e.ms} ms)\n`).join(""));
    const timeline = await clusterTimeline(watch, logFrom);
    process.stdout.write(timeline.map((l) => `  cluster(${watch.name})| ${l}\n`).join(""));
    const w = await writeChecksummed(client, "demo-after-failover.bin", 4);
    active = moved.value;
    await showEvents(watcher);
    return {
      value: undefined,
      result: `group on ${moved.value} ${secs(groupMs)} s after the kill; ${describeFencing(lab, fenced, killedAt)}; client write ok (${w.seconds.toFixed(1)} s)`,
    };
  });

  await step(`${victim} comes back: keeper export, rejoins the cluster, the agent re-adds its member (nothing by hand)`, async () => {
    const activeNode = lab.node(active);
    const journalFrom = await journalLength(activeNode);
    const bootMs = lab.node(victim).running ? 0 : await lab.restart(victim);
    const node = lab.node(victim);
    await prepareServiceNode(node, uuid, lab.nodes, MOUNTPOINT);
    const joinMs = await rejoin(lab, node, lab.nodes, activeNode);
    const r = await waitReadded(lab, activeNode, members.length, uuid, READD_WITHIN_MS);
    const decisions = await readdDecisions(activeNode, journalFrom);
    const holdsMember = (members as readonly number[]).includes(Number(victim.slice(4)));
    if (holdsMember && decisions.length === 0) {
      throw new Error(`${victim}'s member is back in sync on ${active}, but the agent's journal (${JOURNAL}) there records no re-add decision: something else re-added it`);
    }
    for (const d of decisions) process.stdout.write(`  agent(${active})| re-add: ${d}\n`);
    await showEvents(watcher);
    const where = await groupWhere(activeNode);
    return {
      value: undefined,
      result: `ready in ${secs(bootMs)} s, online in the cluster ${secs(joinMs)} s later; ${members.length} members in sync on ${active} ${secs(r.ms)} s after that (${decisions.length} re-add decision(s) in the agent's journal), CIB ledger whole after ${secs(r.ledgerMs)} s; group on ${where === false ? "no single node" : where}`,
    };
  });

  await step("client writes again; md on the active node", async () => {
    const w = await writeChecksummed(client, "demo-after-readd.bin", 4);
    const v = await memberView(lab.node(active));
    return { value: undefined, result: `write ok (${w.seconds.toFixed(1)} s); degraded=${v.degraded}, ${v.inSync} members in sync, ${v.mdstat.match(/\[[U_]+\]/)?.[0] ?? ""}` };
  });
}

/** The older story, for a staged tree without the agent: everything by hand on node1, a mirror power-killed. */
async function byHandStory(lab: Lab): Promise<void> {
  const [node1, node2] = [lab.node("node1"), lab.node("node2")];
  const client = lab.client;
  note("Pacemaker: group storage (ocf:pmsapp:raid, Filesystem, nfsserver, exportfs, IPaddr2, nfsnotify), fenced", "ocf:pmsapp:raid is not in the staged tree yet (packaging/shims/ocf-raid.sh + dist/raid.cjs)");
  await step("each node exports its disk over iSCSI (tgtd)", async () => {
    const took = await Promise.all(lab.nodes.map((n) => exportDisk(n)));
    return { value: undefined, result: `3 targets, slowest ${Math.max(...took).toFixed(1)} s` };
  });
  for (const n of lab.nodes) await prepareInitiator(n, [1, 2, 3]);
  const md = await step("node1: login to the 3 targets, RAID1 (node1+node2 LUNs), 1 MiB bitmap, ext4", async () => {
    const r = await login(node1, [1, 2, 3]);
    if (r.rc !== 0) throw new Error(`login: ${r.stderr}`);
    const dev = await createArray(node1, { level: 1, members: [1, 2], assumeClean: true });
    await node1.must(`mkfs.ext4 -q -F -L pmsapp ${dev}`);
    const s = await mdState(node1, dev);
    return { value: dev, result: `${dev} ${s["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""}, bitmap chunk ${Number(s["bitmap/chunksize"]) / 1024} KiB` };
  });
  await step("node1 serves NFS by hand: mount, exportfs (fsid=1), VIP 10.99.0.100", async () => {
    await serveNfs(node1, md, { mkfs: false, vip: true });
    return { value: undefined, result: `${MOUNTPOINT} exported, VIP on node1` };
  });
  await clientWritesThroughVip(client);
  await daemonsAndStatus(lab, node2);

  const activeNode = node1;
  await step("power-kill node2 (a member): md fails it, NFS goes on", async () => {
    await lab.kill("node2");
    const f = await lab.waitFor("member faulty", async () => {
      const s = await mdState(activeNode, md);
      return faultyMembers(s).length > 0 ? s : false;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const w = await writeChecksummed(client, "demo-degraded.bin", 8);
    return { value: undefined, result: `member faulty after ${secs(f.ms)} s, ${f.value["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""}; client write while degraded ok (${w.seconds.toFixed(1)} s)` };
  });
  await step("node2 returns: export, session back, --re-add, bitmap recovery", async () => {
    const ms = await lab.restart("node2");
    await exportDisk(node2);
    await waitSessionLoggedIn(lab, activeNode, 2, 90_000);
    const s = await readdUntilInSync(lab, activeNode, md, 2, 120_000);
    return { value: undefined, result: `restart ${secs(ms)} s, in sync again ${s.value["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""} (recovery ${secs(s.ms)} s)` };
  });
}

async function live(): Promise<void> {
  const lab = await step("build or reuse the image, boot node1-3 + client", async () => {
    const l = await Lab.up({ client: true, mdAuto: "off" });
    return { value: l, result: `image ${l.image.key} (${secs(l.timings["image"] ?? 0)} s), all VMs ready in ${secs(l.timings["boot"] ?? 0)} s` };
  });
  const fence: { server?: FenceServer } = {};
  try {
    const node1 = lab.node("node1");
    await step("pmsapp installed in the guests", async () => {
      const files = await node1.must("find /usr/lib/pmsapp /usr/lib/ocf/resource.d/pmsapp /usr/libexec/pmsapp /usr/bin/pmsapp /usr/sbin/pmsappd -maxdepth 1 -type f 2>/dev/null | sort");
      const count = files.trim().split("\n").filter(Boolean).length;
      const how = lab.stage?.how === "stage-command" ? "the staged tree" : "a PARTIAL tree (stage command refused, see above)";
      return { value: undefined, result: `${how}: ${count} pmsapp files in /usr/lib/pmsapp, /usr/lib/ocf, /usr/libexec, /usr/bin, /usr/sbin` };
    });
    if (await has(node1, "/usr/lib/ocf/resource.d/pmsapp/raid")) await fencedClusterStory(lab, fence);
    else await byHandStory(lab);

    await step("client: every checksum intact", async () => {
      const v = await verifyChecksums(lab.client, CLIENT_MOUNT);
      if (v.bad.length > 0) throw new Error(`checksum mismatch: ${v.bad.join("; ")}`);
      return { value: undefined, result: `${v.checked} files OK` };
    });
  } catch (e) {
    await lab.collectLogs("demo-failed");
    throw e;
  } finally {
    await fence.server?.stop();
    await lab.down();
    printTable("LIVE");
  }
}

/** No VMs possible here: tell the story from the captured outputs, clearly labelled. */
function replay(why: string[]): void {
  process.stdout.write(`The lab cannot run on this machine:\n${why.map((w) => `  - ${w}`).join("\n")}\n` + "REPLAY of real outputs captured by `npm run lab:capture` (test/fixtures/lab/), not a live run.\n\n");
  const base = join(REPO_ROOT, "test", "fixtures", "lab");
  const order = ["healthy", "member-faulty", "degraded", "recovering", "dead-target", "logged-out"];
  for (const state of order.filter((s) => existsSync(join(base, s)))) {
    const dir = join(base, state);
    const title = readFileSync(join(dir, "README.md"), "utf8").split("\n")[0]?.replace(/^# /, "") ?? state;
    process.stdout.write(`REPLAY ── ${title}\n`);
    const mdstat = readFileSync(join(dir, "proc-mdstat.txt"), "utf8").trim();
    process.stdout.write(mdstat.split("\n").map((l) => `REPLAY   ${l}`).join("\n") + "\n");
    const session = join(dir, "iscsiadm-m-session.txt");
    if (existsSync(session)) process.stdout.write(readFileSync(session, "utf8").trim().split("\n").filter(Boolean).map((l) => `REPLAY   ${l}`).join("\n") + "\n");
    for (const f of readdirSync(dir).filter((f) => f.endsWith("-login.rc"))) {
      const name = f.replace(/\.rc$/, "");
      const d = readFileSync(join(dir, `${name}.duration_s`), "utf8").trim();
      const err = existsSync(join(dir, `${name}.stderr`)) ? readFileSync(join(dir, `${name}.stderr`), "utf8").trim().split("\n").pop() : "";
      process.stdout.write(`REPLAY   login to the dead target: rc ${readFileSync(join(dir, f), "utf8").trim()} after ${d} s: ${err}\n`);
    }
    process.stdout.write("\n");
  }
}

const missing = process.argv.includes("--replay") ? ["--replay was asked for"] : labPrerequisites();
if (missing.length > 0) {
  replay(missing);
} else {
  live().catch((e: Error) => {
    process.stderr.write(`lab demo failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
