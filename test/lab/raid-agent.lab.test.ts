/**
 * The raid agent on real md and iSCSI (issue 2's lab scenarios, issue 7's ocf-tester): three nodes each
 * export their disk, node1 builds a RAID5 over the three LUNs and hands it over stopped; then the agent
 * alone, through its installed shims with the environment Pacemaker's executor or rgmanager gives it,
 * starts, checks, refuses and stops it. No Pacemaker runs: the agent is called the way the executor
 * calls it (the ledger's crm_* calls find no cluster, which the agent treats as "no outside evidence").
 */
import { afterAll, describe, expect, it } from "vitest";
import { say, secs } from "./lib/log.js";
import { OCF_AGENT, RGMANAGER_AGENT, pacemakerEnv, rgmanagerEnv, runAgent, storageView, targetsParam, type AgentParams, type PacemakerCall } from "./lib/raid-agent.js";
import { useLab, labUnavailable } from "./lib/scenario.js";
import { createArray, exportDisk, login, prepareInitiator, targetIqn } from "./lib/storage.js";
import type { GuestNode } from "./lib/lab.js";

const MD = "/dev/md0";
const MOUNT = "/mnt/raid-agent";
// The agent's defaults (params.ts), passed explicitly where rgmanager would export them.
const LOGIN_TIMEOUT_S = 2;
const LOGIN_RETRIES = 1;
const REPLACEMENT_TIMEOUT_S = 5;
/** The agent's own cap on its parallel login phase (start.ts): login_timeout x login_retries + 3 s. */
const LOGIN_CAP_MS = (LOGIN_TIMEOUT_S * LOGIN_RETRIES + 3) * 1000;
// Op timeouts as a Pacemaker configuration would give them (ms).
const START_OP_MS = 60_000;
const STOP_OP_MS = 60_000;
const MONITOR_OP_MS = 30_000;
/**
 * Stop with a dead member: mdadm --stop writes the superblocks, and the write to the dead LUN fails only
 * once iSCSI gives up on the session (noop 2+2 s, then replacement_timeout). Bound: those plus the
 * agent's 15 s cap for one logout, all well inside the default stop_timeout of 30 s.
 */
const DEAD_STOP_BOUND_MS = (4 + REPLACEMENT_TIMEOUT_S + 15) * 1000;

/** md0 running as RAID5 (read-only until its first write, as md starts every array). */
const ACTIVE_RAID5 = /^md0 : active (\(auto-read-only\) )?raid5 /;
const ALIVE_SESSIONS = [1, 2, 3].map((n) => `${targetIqn(n)} LOGGED_IN`).sort();

describe.skipIf(labUnavailable() !== undefined).sequential("raid agent: start, status, stop, refusals and ocf-tester on real md over iSCSI", () => {
  const lab = useLab({ nodes: 3, client: false, mdAuto: "off" });
  const timings: Record<string, string> = {};
  let uuid = "";
  let healthyStartMs = 0;

  const params = (extra: AgentParams = {}): AgentParams => ({ uuid, targets: targetsParam([1, 2, 3]), md_device: MD, ...extra });
  const opTimeout = (action: string): number => (action === "start" ? START_OP_MS : action === "stop" ? STOP_OP_MS : MONITOR_OP_MS);
  /** The agent as Pacemaker's executor runs it on `node`. */
  const ocf = (node: GuestNode, action: string, call: Partial<PacemakerCall> = {}, extra: AgentParams = {}) =>
    runAgent(node, OCF_AGENT, action, pacemakerEnv(node, action, params(extra), { timeoutMs: opTimeout(action), ...call }));

  it("each node exports its disk; node1 builds RAID5 over the three LUNs, then hands it over stopped", async () => {
    await Promise.all(lab().nodes.map((n) => exportDisk(n)));
    // iscsid runs on every node (a service precondition of the agent, like the cluster stack itself).
    await Promise.all(lab().nodes.map((n) => prepareInitiator(n, [])));
    const node1 = lab().node("node1");
    await prepareInitiator(node1, [1, 2, 3]);
    const r = await login(node1, [1, 2, 3]);
    expect(r.rc, r.stderr).toBe(0);
    const dev = await createArray(node1, { level: 5, members: [1, 2, 3], assumeClean: true });
    const detail = await node1.must(`mdadm --detail --export ${dev}`);
    uuid = /^MD_UUID=(\S+)$/m.exec(detail)?.[1] ?? "";
    expect(uuid).toMatch(/^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/);
    // A filesystem for the mounted-stop check; then no array, no session and no node record is left:
    // everything after this is the agent's own doing.
    await node1.must(`mkfs.ext4 -q -F ${dev} && mdadm --stop ${dev} && iscsiadm -m node -u >/dev/null && iscsiadm -m node -o delete && udevadm settle`, { timeoutMs: 120_000 });
    const v = await storageView(node1);
    expect(v.arrays).toEqual([]);
    expect(v.sessions).toEqual([]);
  });

  it("ocf:pmsapp:raid on node1: probe 7, start 0, monitor 0 at depths 0/10/20 on the LUNs (never vdb), stop 0 leaves nothing", async () => {
    const node1 = lab().node("node1");
    const probe = await ocf(node1, "monitor", { intervalMs: 0 });
    expect(probe.rc, probe.stderr).toBe(7);

    const start = await ocf(node1, "start");
    expect(start.rc, start.stderr).toBe(0);
    healthyStartMs = start.ms;
    timings["start, 3 targets alive"] = secs(start.ms);
    const v = await storageView(node1);
    expect(v.sessions).toEqual(ALIVE_SESSIONS);
    expect(v.arrays).toHaveLength(1);
    expect(v.arrays[0]).toMatch(ACTIVE_RAID5);
    const detail = await node1.must(`mdadm --detail --export ${MD}`);
    expect(detail).toContain(`MD_UUID=${uuid}`);
    expect(detail).toMatch(/^MD_DEVICES=3$/m);
    // The members are the three iSCSI disks; the node's own exported /dev/vdb is held by nothing.
    const slaves = (await node1.must("ls /sys/block/md0/slaves")).split(/\s+/).filter(Boolean);
    expect(slaves).toHaveLength(3);
    for (const s of slaves) expect(await node1.must(`readlink -f /sys/block/${s}/device`)).toMatch(/\/session\d+\//);
    expect((await node1.must("ls /sys/block/vdb/holders")).trim()).toBe("");

    for (const depth of [0, 10, 20] as const) {
      const m = await ocf(node1, "monitor", { intervalMs: 10_000, checkLevel: depth });
      expect(m.rc, `depth ${depth}: ${m.stderr}`).toBe(0);
      timings[`monitor depth ${depth}`] = secs(m.ms);
    }
    // Where it does not run, Pacemaker's probe gets 7.
    const elsewhere = await ocf(lab().node("node2"), "monitor", { intervalMs: 0 });
    expect(elsewhere.rc, elsewhere.stderr).toBe(7);

    const stop = await ocf(node1, "stop");
    expect(stop.rc, stop.stderr).toBe(0);
    timings["stop, 3 targets alive"] = secs(stop.ms);
    expect(await storageView(node1)).toEqual({ arrays: [], sessions: [], mounts: [] });
    const again = await ocf(node1, "stop");
    expect(again.rc, again.stderr).toBe(0);
    expect((await ocf(node1, "monitor", { intervalMs: 10_000 })).rc).toBe(7);
  });

  it("stop while the array is mounted is refused with exit 1 (README: stop 1 with the reason) and changes nothing", async () => {
    const node1 = lab().node("node1");
    expect((await ocf(node1, "start")).rc).toBe(0);
    await node1.must(`mkdir -p ${MOUNT} && mount ${MD} ${MOUNT} && echo written-before-stop > ${MOUNT}/canary && sync`);
    const before = await storageView(node1);
    expect(before.mounts).toHaveLength(1);

    const stop = await ocf(node1, "stop");
    expect(stop.rc, stop.stderr).toBe(1);
    expect(stop.reason).toMatch(new RegExp(`refusing to stop .*mounted on ${MOUNT}`));
    expect(await storageView(node1)).toEqual(before);
    expect((await node1.must(`cat ${MOUNT}/canary`)).trim()).toBe("written-before-stop");

    await node1.must(`umount ${MOUNT}`);
    const clean = await ocf(node1, "stop");
    expect(clean.rc, clean.stderr).toBe(0);
    expect(await storageView(node1)).toEqual({ arrays: [], sessions: [], mounts: [] });
  });

  it("rgmanager face (/usr/share/cluster/pmsapp-raid.sh, empty environment plus OCF variables): stop where nothing runs 0, start on node2, status 0/10/20, stop", async () => {
    const node2 = lab().node("node2");
    const node3 = lab().node("node3");
    // rgmanager exports the meta-data defaults along with the configured values.
    const all: AgentParams = {
      name: "raid",
      ...params(),
      login_timeout: String(LOGIN_TIMEOUT_S),
      login_retries: String(LOGIN_RETRIES),
      replacement_timeout: String(REPLACEMENT_TIMEOUT_S),
      degraded: "safe",
      start_timeout: "60",
      stop_timeout: "30",
      status_timeout: "20",
    };
    // At its start-up rgmanager stops every service on every node.
    const idle = await runAgent(node3, RGMANAGER_AGENT, "stop", rgmanagerEnv(all, 0, 30));
    expect(idle.rc, idle.stderr).toBe(0);
    expect(await storageView(node3)).toEqual({ arrays: [], sessions: [], mounts: [] });

    const start = await runAgent(node2, RGMANAGER_AGENT, "start", rgmanagerEnv(all, 0, 60));
    expect(start.rc, start.stderr).toBe(0);
    timings["rgmanager start on node2"] = secs(start.ms);
    const v = await storageView(node2);
    expect(v.sessions).toEqual(ALIVE_SESSIONS);
    expect(v.arrays[0]).toMatch(ACTIVE_RAID5);
    for (const depth of [0, 10, 20] as const) {
      // RGMANAGER_meta_timeout 0: timeouts enforced by rgmanager, the agent uses its own status_timeout.
      const s = await runAgent(node2, RGMANAGER_AGENT, "status", rgmanagerEnv(all, depth, 0));
      expect(s.rc, `depth ${depth}: ${s.stderr}`).toBe(0);
    }
    const stop = await runAgent(node2, RGMANAGER_AGENT, "stop", rgmanagerEnv(all, 0, 30));
    expect(stop.rc, stop.stderr).toBe(0);
    expect(await storageView(node2)).toEqual({ arrays: [], sessions: [], mounts: [] });
    const after = await runAgent(node2, RGMANAGER_AGENT, "status", rgmanagerEnv(all, 0, 0));
    expect(after.rc).toBe(7);
  });

  it("ocf-tester (resource-agents) passes against ocf:pmsapp:raid with real parameters", async () => {
    const node1 = lab().node("node1");
    const which = await node1.sh("dpkg -S /usr/sbin/ocf-tester");
    expect(which.stdout, "ocf-tester must come from the image's resource-agents").toMatch(/^resource-agents: /);
    const t0 = Date.now();
    const r = await node1.exec(
      [
        "/usr/bin/env",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "/usr/sbin/ocf-tester",
        "-n",
        "raid",
        "-o",
        `uuid=${uuid}`,
        "-o",
        `targets=${targetsParam([1, 2, 3])}`,
        "-o",
        `md_device=${MD}`,
        OCF_AGENT,
      ],
      { timeoutMs: 300_000 },
    );
    timings["ocf-tester"] = secs(Date.now() - t0);
    say(`ocf-tester:\n${r.stdout}${r.stderr}`);
    expect(r.rc, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`${OCF_AGENT} passed all tests`);
    expect(await storageView(node1)).toEqual({ arrays: [], sessions: [], mounts: [] });
  });

  it("data safety: with the node's own /dev/vdb auto-assembled (stock Debian at boot) and so not exported, start never uses vdb, refuses, and changes nothing", async () => {
    const node1 = lab().node("node1");
    // What boot-autoassembled captured: udev's incremental assembly grabs the local member before tgtd
    // exports it. Reproduced here: the export is withdrawn, AUTO -all lifted for one mdadm --incremental.
    await node1.must("tgtadm --lld iscsi --op delete --mode target --tid 1");
    let local = "";
    try {
      await node1.must(
        "cp /etc/mdadm/mdadm.conf /run/mdadm.conf.lab && sed -i '/^AUTO -all/d' /etc/mdadm/mdadm.conf && { mdadm --incremental /dev/vdb; cp /run/mdadm.conf.lab /etc/mdadm/mdadm.conf; }",
      );
      local = (await node1.must("ls /sys/block/vdb/holders")).trim();
      expect(local).toMatch(/^md\d+$/);
      const eventsOf = async () => /^MD_EVENTS=(\d+)$/m.exec(await node1.must("mdadm --examine --export /dev/vdb"))?.[1];
      const eventsBefore = await eventsOf();
      expect(eventsBefore).toMatch(/^\d+$/);
      const before = await storageView(node1);
      expect(before.arrays).toEqual([expect.stringMatching(new RegExp(`^${local} : inactive vdb\\[\\d\\]\\(S\\)`))]);
      expect(before.sessions).toEqual([]);

      // node1's own slot is only reachable as its iSCSI LUN, which is not exported now: the agent does not
      // fall back to the local disk that carries the same superblock; it cannot prove slot 0 stale.
      const start = await ocf(node1, "start");
      expect(start.rc, start.stderr).toBe(1);
      expect(start.reason).toMatch(/last saw slot 0 \(iqn[^)]*node1[^)]*\) active: it may hold newer writes/);
      expect(start.stderr).not.toMatch(/\/dev\/vdb/);
      expect(await storageView(node1)).toEqual(before);
      expect(await eventsOf()).toBe(eventsBefore);
      expect((await node1.must("ls /sys/block/vdb/holders")).trim()).toBe(local);
    } finally {
      // Back to the exported state for what follows, whatever happened above.
      if (/^md\d+$/.test(local)) await node1.sh(`mdadm --stop /dev/${local}`);
      await exportDisk(node1);
    }
    expect((await storageView(node1)).arrays).toEqual([]);
  });

  it("start with node3's iSCSI link cut: bounded by the login bound, refused under degraded=safe (no proof node3 is stale), nothing left behind", async () => {
    const node1 = lab().node("node1");
    await lab().cutLink("node3", "iscsi");
    try {
      const start = await ocf(node1, "start");
      timings["start, 1 of 3 targets dead (refused)"] = secs(start.ms);
      const bound = healthyStartMs + 2 * LOGIN_CAP_MS + 5_000;
      say(`start with a dead target: ${secs(start.ms)} s (healthy start ${secs(healthyStartMs)} s, bound ${secs(bound)} s)`);
      expect(start.rc, start.stderr).toBe(1);
      expect(start.reason).toMatch(/last saw slot 2 \(iqn[^)]*node3[^)]*\) active: it may hold newer writes/);
      expect(start.reason).toContain(targetIqn(3));
      expect(start.ms).toBeLessThanOrEqual(bound);
      expect(await storageView(node1)).toEqual({ arrays: [], sessions: [], mounts: [] });
    } finally {
      await lab().healLink("node3", "iscsi");
    }
  });

  it("stop with node3's iSCSI link cut under a running array: bounded, exit 0, no array and no session left", async () => {
    const node1 = lab().node("node1");
    const start = await ocf(node1, "start");
    expect(start.rc, start.stderr).toBe(0);
    expect((await storageView(node1)).sessions).toEqual(ALIVE_SESSIONS);
    await lab().cutLink("node3", "iscsi");
    try {
      const stop = await ocf(node1, "stop");
      timings["stop, 1 of 3 targets dead"] = secs(stop.ms);
      expect(stop.rc, stop.stderr).toBe(0);
      expect(stop.ms).toBeLessThanOrEqual(DEAD_STOP_BOUND_MS);
      expect(await storageView(node1)).toEqual({ arrays: [], sessions: [], mounts: [] });
    } finally {
      await lab().healLink("node3", "iscsi");
    }
  });

  afterAll(() => {
    say(`raid agent timings of this run (s, guest clock):\n${Object.entries(timings).map(([k, v]) => `  ${k.padEnd(40)} ${v}`).join("\n")}`);
  });
});
