/**
 * Measurement harness for issue 9: the candidate 3-node layouts under the same fault. Per run: node1
 * (active, also a member holder) builds the array from the three nodes' LUNs, serves it over NFS; the NFS
 * client runs the checksummed, fsynced record writer (nfs-writer.ts) and holds a static checksummed file;
 * node1 is power-killed mid-write; node2 takes over the way the agent does (login to the survivors'
 * targets, `mdadm --assemble --run` by UUID from the explicit members, first WITHOUT --force), mounts and
 * serves; the writer's first acknowledged record after the kill gives the takeover time; the data is
 * verified; node1 comes back and its member is re-added (bitmap) or rebuilt (full), timed until in sync.
 *
 * Layouts are built with `pmsapp create` inside the guest (the real CLI), except raid5-journal which the
 * CLI refuses: it is built with the same argv module (agents/layout/create-argv.ts), its journal on a
 * second, file-backed LUN of node3 (a node that is not the active one: the only placement a new owner
 * can read after the active node's crash; node3's own loss would then take the journal, see README).
 *
 * One lab serves all runs (the lock is held throughout); between runs everything is reset and the data
 * disks' md metadata wiped.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createArgv } from "../../../agents/layout/create-argv.js";
import type { LayoutName } from "../../../agents/layout/layouts.js";
import type { GuestNode, Lab } from "./lab.js";
import { say, secs } from "./log.js";
import { NfsWriter } from "./nfs-writer.js";
import { ARTIFACTS_DIR } from "./paths.js";
import { ARRAY, CLIENT_MOUNT, MOUNTPOINT, exportDisk, login, memberPath, mountOnClient, portal, prepareInitiator, serveNfs, targetIqn, verifyChecksums, waitInSync, writeChecksummed } from "./storage.js";

export const MEASURED_LAYOUTS: readonly LayoutName[] = ["raid5-bitmap", "raid5-ppl", "raid5-journal", "raid1"];

/** node3's journal LUN (raid5-journal only): a 64 MiB file on node3's root disk, LUN 2 of its target. */
export const JOURNAL_FILE = "/var/lib/pmsapp-journal.img";
export const journalPath = (): string => `/dev/disk/by-path/ip-${portal(3)}:3260-iscsi-${targetIqn(3)}-lun-2`;

export interface LayoutRun {
  readonly layout: LayoutName;
  readonly run: number;
  /** Did `mdadm --assemble --run` (no --force) start the survivors? */
  readonly startedWithoutForce: boolean;
  /** What mdadm said when it refused (and the kernel's md lines). */
  readonly refusal?: string;
  readonly forced: boolean;
  /** Host seconds from the kill to the array running on node2. */
  readonly assembledS: number;
  /** Client seconds from the kill to the writer's first acknowledged record after it. */
  readonly takeoverS: number;
  readonly acked: number;
  readonly lostAcked: number;
  readonly corruptedAcked: number;
  readonly corruptedUnacked: number;
  /** The static 16 MiB file written before the kill (data that was NOT being written). */
  readonly staticIntact: boolean;
  readonly resync: "bitmap re-add" | "full rebuild" | "failed";
  /** Seconds from the re-add/add to in sync. */
  readonly resyncS: number;
  readonly capacityMiB: number;
  readonly notes: readonly string[];
}

export interface HarnessOptions {
  /** Where each run's superblocks, mdadm and kernel messages are kept. */
  readonly outDir?: string;
  /** Seconds the writer runs before the kill. */
  readonly writeBeforeKillS?: number;
}

const STATIC_MIB = 16;

/** Every layout measured here spans the three nodes' LUNs (the 3-way RAID1 too). */
const MEMBERS = [1, 2, 3] as const;

/** Exports of every node (once per lab), node3's journal LUN included. */
export async function prepareTargets(lab: Lab): Promise<void> {
  await Promise.all(lab.nodes.map((n) => exportDisk(n)));
  await lab.node("node3").must(
    `truncate -s 64M ${JOURNAL_FILE}
tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 2 -b ${JOURNAL_FILE}
tgtadm --lld iscsi --op update --mode logicalunit --tid 1 --lun 2 --params scsi_id=pmsapp-node3-journal,scsi_sn=pmsappnode3j`,
    { timeoutMs: 30_000 },
  );
}

/** Build the array on node1 in `layout`; returns the md device and what the create printed. */
async function create(node1: GuestNode, layout: LayoutName): Promise<{ md: string; output: string }> {
  const paths = MEMBERS.map(memberPath);
  let output: string;
  if (layout === "raid5-journal") {
    const size = Number((await node1.must(`blockdev --getsize64 ${paths[0]}`)).trim());
    const argv = ["mdadm", ...createArgv({ layout, mdDevice: ARRAY, name: "pmsapp", homehost: "pmsapp", members: paths, memberBytes: size, journal: journalPath() })];
    const r = await node1.exec(argv, { timeoutMs: 120_000 });
    output = `$ ${argv.join(" ")}\n${r.stdout}${r.stderr}`;
    if (r.rc !== 0) throw new Error(`node1: ${output}`);
  } else {
    const argv = ["/usr/bin/pmsapp", "create", "--layout", layout, "--md-device", ARRAY, ...(layout === "raid5-bitmap" ? ["--accept-write-hole"] : []), ...paths];
    const r = await node1.exec(argv, { timeoutMs: 180_000 });
    output = `$ ${argv.join(" ")}\n${r.stdout}${r.stderr}`;
    if (r.rc !== 0) throw new Error(`node1: pmsapp create failed (exit ${r.rc}):\n${output}`);
  }
  const md = (await node1.must(`udevadm settle --timeout=10; readlink -f ${ARRAY}`)).trim();
  if (!/^\/dev\/md\d+$/.test(md)) throw new Error(`node1: ${ARRAY} does not name an md device after create: ${md}`);
  return { md, output };
}

async function mdLines(node: GuestNode): Promise<string> {
  return (await node.sh("dmesg | grep -E 'md/raid|md: |md/raid1|raid5|journal|ppl' | tail -n 15", { timeoutMs: 15_000 })).stdout;
}

/** One run of one layout on a lab that is up with targets exported and nothing else set up. */
export async function measureLayout(lab: Lab, layout: LayoutName, run: number, options: HarnessOptions = {}): Promise<LayoutRun> {
  const out = options.outDir ?? join(ARTIFACTS_DIR, "layouts");
  const dir = join(out, `${layout}-run${run}`);
  mkdirSync(dir, { recursive: true });
  const keep = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const notes: string[] = [];
  const node1 = lab.node("node1");
  const node2 = lab.node("node2");
  const client = lab.client;
  const luns = layout === "raid5-journal" ? [...MEMBERS.map(memberPath), journalPath()] : MEMBERS.map(memberPath);

  say(`layouts: ${layout} run ${run}: node1 builds the array`);
  await prepareInitiator(node1, [1, 2, 3]);
  const li = await login(node1, [1, 2, 3]);
  if (li.rc !== 0) throw new Error(`node1 login: ${li.stderr}`);
  const { md, output } = await create(node1, layout);
  keep("create.txt", output);
  const uuid = /MD_UUID=(\S+)/.exec(await node1.must(`mdadm --detail --export ${md}`))?.[1];
  if (uuid === undefined) throw new Error("no MD_UUID after create");
  await waitInSync(lab, node1, md, 300_000);
  const capacityMiB = Math.round((Number((await node1.must(`cat /sys/block/${md.slice(5)}/size`)).trim()) * 512) / 1048576);
  keep("detail-before.txt", await node1.must(`mdadm --detail ${md}`));

  await serveNfs(node1, md, { mkfs: true, vip: true });
  await mountOnClient(client);
  await writeChecksummed(client, "static.bin", STATIC_MIB);
  const writer = new NfsWriter(client, { ackPath: `/var/lib/nfs-writer/acks-${layout}-run${run}.log`, dataPath: `${CLIENT_MOUNT}/records-${layout}-run${run}.dat` });
  await writer.start(lab);
  await new Promise((r) => setTimeout(r, (options.writeBeforeKillS ?? 5) * 1000));

  const killedAt = await lab.kill("node1");
  const clientKill = await client.time();

  // The takeover, as the agent does it: survivors' targets, their superblocks, assemble without --force.
  await prepareInitiator(node2, [2, 3]);
  const l2 = await login(node2, [2, 3]);
  if (l2.rc !== 0) notes.push(`node2 login rc ${l2.rc}: ${l2.stderr.trim().slice(0, 200)}`);
  for (const p of luns.filter((p) => !p.includes("node1"))) keep(`examine-${p.replace(/.*iscsi-/, "")}.txt`, (await node2.sh(`mdadm --examine ${p}`, { timeoutMs: 20_000 })).stdout);
  const survivors = luns.filter((p) => !p.includes("node1"));
  const first = await node2.exec(["mdadm", "--assemble", ARRAY, `--uuid=${uuid}`, "--run", ...survivors], { timeoutMs: 60_000 });
  const startedWithoutForce = first.rc === 0;
  let refusal: string | undefined;
  let forced = false;
  if (!startedWithoutForce) {
    refusal = `${first.stderr.trim()} | ${(await mdLines(node2)).trim().split("\n").slice(-3).join(" / ")}`;
    keep("assemble-refused.txt", `rc ${first.rc}\n${first.stdout}${first.stderr}\n--- dmesg ---\n${await mdLines(node2)}`);
    await node2.sh(`mdadm --stop ${ARRAY} 2>/dev/null; true`, { timeoutMs: 20_000 });
    const f = await node2.exec(["mdadm", "--assemble", ARRAY, `--uuid=${uuid}`, "--run", "--force", ...survivors], { timeoutMs: 60_000 });
    if (f.rc !== 0) throw new Error(`node2: even --force did not assemble ${layout}: ${f.stderr}`);
    forced = true;
  }
  keep("assemble.txt", `${first.stdout}${first.stderr}\n--- dmesg ---\n${await mdLines(node2)}`);
  const md2 = (await node2.must(`udevadm settle --timeout=10; readlink -f ${ARRAY}`)).trim();
  const assembledS = (Date.now() - killedAt) / 1000;
  await serveNfs(node2, md2, { mkfs: false, vip: true });
  const ack = await writer.waitAckAfter(lab, clientKill, 300_000);
  const takeoverS = (ack.at - clientKill) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  await writer.stop(lab);
  const report = await writer.verify();
  const stat = await verifyChecksums(client, CLIENT_MOUNT);
  keep("verify.json", JSON.stringify({ report, static: stat }, null, 2));

  // node1 returns: its member comes back from the bitmap when md can, else it is rebuilt in full.
  await lab.restart("node1");
  await exportDisk(node1);
  await prepareInitiator(node2, [1]);
  const back = await login(node2, [1]);
  if (back.rc !== 0) throw new Error(`node2 could not log in to node1's target after its return: ${back.stderr}`);
  const t0 = Date.now();
  let resync: LayoutRun["resync"] = "bitmap re-add";
  const readd = await node2.sh(`mdadm ${md2} --re-add ${memberPath(1)} 2>&1`, { timeoutMs: 60_000 });
  if (readd.rc !== 0) {
    resync = "full rebuild";
    const add = await node2.sh(`mdadm --zero-superblock ${memberPath(1)} 2>&1 && mdadm ${md2} --add ${memberPath(1)} 2>&1`, { timeoutMs: 60_000 });
    keep("readd.txt", `${readd.stdout}\n--- add ---\n${add.stdout}`);
    if (add.rc !== 0) resync = "failed";
  } else keep("readd.txt", readd.stdout);
  let resyncS = Number.NaN;
  if (resync !== "failed") {
    const w = await waitInSync(lab, node2, md2, 600_000);
    resyncS = (Date.now() - t0) / 1000;
    notes.push(`in sync after ${secs(w.ms)} s of polling`);
  }
  keep("detail-after.txt", await node2.must(`mdadm --detail ${md2}`));

  return {
    layout,
    run,
    startedWithoutForce,
    ...(refusal !== undefined ? { refusal } : {}),
    forced,
    assembledS,
    takeoverS,
    acked: report.acked,
    lostAcked: report.lost.count,
    corruptedAcked: report.corruptedAcked.count,
    corruptedUnacked: report.corruptedUnacked.count,
    staticIntact: stat.bad.length === 0 && stat.checked > 0,
    resync,
    resyncS,
    capacityMiB,
    notes,
  };
}

/** Back to "targets exported, nothing else": client unmounted, node2's array stopped, md metadata wiped. */
export async function resetBetweenRuns(lab: Lab): Promise<void> {
  await lab.client.sh(`umount -f -l ${CLIENT_MOUNT} 2>/dev/null; true`, { timeoutMs: 30_000 });
  for (const n of lab.nodes) {
    await n.sh(
      `/etc/init.d/nfs-kernel-server stop >/dev/null 2>&1; umount -l ${MOUNTPOINT} 2>/dev/null
ip addr del 10.99.0.100/24 dev eth0 2>/dev/null
for m in /dev/md/* /dev/md[0-9]*; do [ -e "$m" ] && mdadm --stop "$m" >/dev/null 2>&1; done
iscsiadm -m node --logoutall=all >/dev/null 2>&1; true`,
      { timeoutMs: 60_000 },
    );
  }
  // The md superblock, bitmap and PPL of v1.2 metadata sit in the first MiBs of each member.
  for (const n of lab.nodes) {
    const k = Number(n.name.slice(4));
    await n.must(`dd if=/dev/zero of=/dev/disk/by-id/virtio-data${k} bs=1M count=16 oflag=direct status=none`, { timeoutMs: 60_000 });
  }
  await lab.node("node3").must(`dd if=/dev/zero of=${JOURNAL_FILE} bs=1M count=64 conv=fsync status=none`, { timeoutMs: 60_000 });
}

export function formatTable(runs: readonly LayoutRun[]): string {
  const head = "| layout | run | starts without --force | acked records | lost acked | corrupted acked | corrupted unacked | static file intact | array running after kill (s) | takeover: kill to first ack (s) | node1 returns | resync (s) | capacity (MiB) |";
  const sep = "|" + " --- |".repeat(13);
  const rows = runs.map(
    (r) =>
      `| ${r.layout} | ${r.run} | ${r.startedWithoutForce ? "yes" : `**no** (${r.forced ? "--force used" : "not started"})`} | ${r.acked} | ${r.lostAcked} | ${r.corruptedAcked} | ${r.corruptedUnacked} | ${r.staticIntact ? "yes" : "**no**"} | ${r.assembledS.toFixed(1)} | ${r.takeoverS.toFixed(1)} | ${r.resync} | ${Number.isNaN(r.resyncS) ? "-" : r.resyncS.toFixed(1)} | ${r.capacityMiB} |`,
  );
  return [head, sep, ...rows].join("\n");
}
