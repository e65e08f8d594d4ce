import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandResult } from "../system/command.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import type { IpcTransport } from "../tgt/ipc.js";
import type { DaemonSpawner } from "../tgt/tgtd.js";
import { parseTargetConfig, type TargetConfig } from "./config.js";
import { recordingEvents } from "./events.js";
import { rootedFiles } from "./files.js";
import { startKeeper, statusKeeper, stopKeeper, type KeeperDeps } from "./keeper.js";
import { BLOCK_BEGIN } from "./mdadm-conf.js";
import { replay, testHost, type TestHost } from "./test-host.js";

const SPIKE = (...p: string[]) => fixture("spike-2026-11-24", ...p);
const HOST_TGT = fixture("tgt-host-2026-11-24");
const KEEPER_TGT = fixture("tgt-host-2026-11-24", "keeper");
const UUID = "fe26dedf:8930648b:a5a71d3f:48409ac0"; // the RAID5 whose member is node3's vdb (boot-autoassembled)

type Captured = Omit<CommandResult, "argv">;
const spikeShow = (...state: string[]): Captured => capturedResult(SPIKE(...state), "tgtadm-op-show");
const hostShow = (name: string): Captured => capturedResult(HOST_TGT, name);
const keeperShow = (name: string): Captured => capturedResult(KEEPER_TGT, name);

function config(extra = "", iqn = "iqn.2024-01.lab.pmslab:node3.data"): TargetConfig {
  const r = parseTargetConfig(
    [
      "backing_device = /dev/disk/by-path/virtio-pci-0000:00:03.0",
      `iqn = ${iqn}`,
      "cluster_iscsi_addresses = 10.99.0.11 10.99.0.12 10.99.0.13",
      `managed_uuid = ${UUID}`,
      "start_timeout_s = 10",
      extra,
    ].join("\n"),
  );
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
}

interface Rig {
  readonly deps: KeeperDeps;
  readonly runner: FakeRunner;
  readonly host: TestHost;
  readonly root: string;
  readonly events: ReturnType<typeof recordingEvents>["events"];
  readonly spawned: string[][];
  /** Requests the keeper wrote on tgtd's management socket (path, bytes). */
  readonly ipcRequests: { socketPath: string; request: Buffer }[];
  /** What `tgtadm --op show` answers now; tests move it along as tgtd's state changes. */
  show: Captured;
  clock: number;
}

interface RigOptions {
  capture: string[];
  show: Captured;
  systemd?: boolean;
  debianInitramfs?: boolean;
  /** Called after every non-show tgtadm command with its argv, to move `rig.show` along. */
  onTgtadm?: (rig: Rig, argv: readonly string[]) => void;
}

const isShow = (argv: readonly string[]): boolean => argv.includes("show");
const mutatingTgtadm = (runner: FakeRunner) => runner.callsTo("tgtadm").filter((a) => !isShow(a) && !a.includes("--version"));

const rigRoots: string[] = [];
afterAll(() => {
  for (const r of rigRoots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function rig(opts: RigOptions): Rig {
  const root = mkdtempSync(join(tmpdir(), "pmsapp-target-"));
  rigRoots.push(root);
  mkdirSync(join(root, "etc/mdadm"), { recursive: true });
  // The lab's stock Debian mdadm.conf held only HOMEHOST and MAILADDR (spike README, boot-autoassembled).
  writeFileSync(join(root, "etc/mdadm/mdadm.conf"), "HOMEHOST <system>\nMAILADDR root\n");
  if (opts.systemd) mkdirSync(join(root, "run/systemd/system"), { recursive: true });
  if (opts.debianInitramfs) {
    mkdirSync(join(root, "usr/sbin"), { recursive: true });
    mkdirSync(join(root, "usr/share/initramfs-tools/hooks"), { recursive: true });
    writeFileSync(join(root, "usr/sbin/update-initramfs"), "");
    writeFileSync(join(root, "usr/share/initramfs-tools/hooks/mdadm"), "");
  }
  const host = testHost(SPIKE(...opts.capture));
  const recorder = recordingEvents();
  const runner = new FakeRunner();
  const spawned: string[][] = [];
  const spawner: DaemonSpawner = {
    async spawnDetached(program, args) {
      spawned.push([program, ...args]);
      host.livePids.set(4242, "tgtd");
      r.show = hostShow("show-target--empty");
      return { ok: true, pid: 4242, argv: [`/usr/sbin/${program}`, ...args] };
    },
  };
  const ipcRequests: { socketPath: string; request: Buffer }[] = [];
  const ipc: IpcTransport = {
    // tgtd's reply to an accepted request: err 0, len 8, no data (usr/mgmt.c; seen in agents/tgt/ipc.test.ts).
    async send(socketPath, request) {
      ipcRequests.push({ socketPath, request });
      return { ok: true, err: 0, data: "" };
    },
  };
  const r: Rig = {
    root,
    host,
    runner,
    events: recorder.events,
    spawned,
    ipcRequests,
    show: opts.show,
    clock: 0,
    deps: {
      runner,
      fs: host.fs,
      files: rootedFiles(root),
      spawner,
      ipc,
      events: recorder,
      sleep: async (ms) => {
        r.clock += ms;
      },
      now: () => r.clock,
      pidFile: "/run/pmsapp/tgtd.pid",
      initramfsStamp: "/var/lib/pmsapp/target/initramfs.sha256",
    },
  };
  runner
    .answer(["udevadm", "settle"], { exitCode: 0 })
    .answer(["mdadm", "--detail", "--export"], (argv) => capturedResult(SPIKE(...opts.capture), `mdadm--detail--export--${argv[3]?.slice(5)}`))
    .answer(["mdadm", "--stop"], (argv) => {
      host.stopped.add(argv[2]?.slice(5) ?? "");
      return { exitCode: 0 };
    })
    .answer(["systemctl"], { exitCode: 0 })
    .answer(["update-initramfs", "-u"], { exitCode: 0 })
    .on({ prefix: ["tgtadm"], when: isShow, answer: () => r.show })
    .on({
      prefix: ["tgtadm"],
      answer: (argv) => {
        const got = replay([KEEPER_TGT, HOST_TGT], argv);
        if (got === undefined) throw new Error(`keeper ran a tgtadm command never run on a real tgtd: ${argv.join(" ")}`);
        opts.onTgtadm?.(r, argv);
        return got;
      },
    });
  return r;
}

/** The boot race as captured: md127 inactive holding vdb, tgt-admin's target with LUN 0 only and ACL ALL. */
function bootRace(extra: Partial<RigOptions> = {}): Rig {
  return rig({
    capture: ["boot-autoassembled"],
    show: spikeShow("boot-autoassembled"),
    onTgtadm: (r, argv) => {
      if (argv.includes("unbind") && argv.includes("ALL")) r.show = keeperShow("race-show-after");
    },
    ...extra,
  });
}

describe("start: the lost boot race (boot-autoassembled)", () => {
  it("stops the stray md127, excludes the array in mdadm.conf first, adds the LUN, replaces ALL by the cluster", async () => {
    const r = bootRace({ systemd: true, debianInitramfs: true });
    const out = await startKeeper(config(), r.deps);
    expect(out).toMatchObject({ rc: 0 });
    expect(out.message).toContain("exported /dev/vdb as iqn.2024-01.lab.pmslab:node3.data LUN 1 to 10.99.0.11, 10.99.0.12, 10.99.0.13; stopped stray md127");

    // identified by mdadm --detail --export (the inactive array's sysfs uuid is all zeros), then stopped
    expect(r.runner.callsTo("mdadm")).toEqual([
      ["mdadm", "--detail", "--export", "/dev/md127"],
      ["mdadm", "--stop", "/dev/md127"],
    ]);
    // last-resort timer of md127 stopped and masked before the stop
    expect(r.runner.callsTo("systemctl")).toEqual([
      ["systemctl", "stop", "mdadm-last-resort@md127.timer", "mdadm-last-resort@md127.service"],
      ["systemctl", "mask", "mdadm-last-resort@md127.timer", "mdadm-last-resort@md127.service"],
    ]);
    const order = r.events.filter((e) => e.kind === "decision").map((e) => e.decision);
    expect(order.indexOf("mdadm-conf-written")).toBeLessThan(order.indexOf("stray-array-stopped"));

    expect(mutatingTgtadm(r.runner)).toEqual([
      ["tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", "/dev/vdb"],
      ["tgtadm", "--lld", "iscsi", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "--params", "scsi_id=pmsapp-node3.data,scsi_sn=pmsapp1fed0f9c"],
      ["tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "10.99.0.11"],
      ["tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "10.99.0.12"],
      ["tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "10.99.0.13"],
      ["tgtadm", "--lld", "iscsi", "--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-address", "ALL"],
    ]);

    const conf = readFileSync(join(r.root, "etc/mdadm/mdadm.conf"), "utf8");
    expect(conf).toContain("HOMEHOST <system>\nMAILADDR root\n");
    expect(conf).toContain(BLOCK_BEGIN);
    expect(conf).toContain(`ARRAY <ignore> UUID=${UUID}`);
    expect(r.runner.callsTo("update-initramfs")).toEqual([["update-initramfs", "-u"]]);
    expect(r.spawned).toEqual([]); // tgtd was running (tgt.service in the capture)
    expect(r.events.at(-1)).toMatchObject({ kind: "end", rc: 0 });
  });

  it("is idempotent: a second start changes nothing and runs no tgtadm, mdadm, systemctl or initramfs command", async () => {
    const r = bootRace({ systemd: true, debianInitramfs: true });
    expect((await startKeeper(config(), r.deps)).rc).toBe(0);
    const conf = readFileSync(join(r.root, "etc/mdadm/mdadm.conf"), "utf8");
    const before = r.runner.calls.length;
    const again = await startKeeper(config(), r.deps);
    expect(again.rc).toBe(0);
    const second = r.runner.calls.slice(before).map((c) => c.argv);
    expect(second.filter((a) => a[0] === "tgtadm" && !isShow(a))).toEqual([]);
    expect(second.filter((a) => ["mdadm", "systemctl", "update-initramfs"].includes(a[0] ?? ""))).toEqual([]);
    expect(readFileSync(join(r.root, "etc/mdadm/mdadm.conf"), "utf8")).toBe(conf);
    expect(r.events.filter((e) => e.decision === "mdadm-conf-ok" || e.decision === "lun-present" || e.decision === "initramfs-current")).toHaveLength(3);
  });

  it("without systemd (fast shell init) nothing is masked, and no initramfs tool means no refresh", async () => {
    const r = bootRace();
    expect((await startKeeper(config(), r.deps)).rc).toBe(0);
    expect(r.runner.callsTo("systemctl")).toEqual([]);
    expect(r.runner.callsTo("update-initramfs")).toEqual([]);
    expect(r.events.map((e) => e.decision)).toContain("last-resort-skip");
    expect(r.events.map((e) => e.decision)).toContain("initramfs-none");
  });

  it("retries with backoff when md grabs the disk again after the stop, then gives up with the reason", async () => {
    const r = bootRace();
    r.runner.calls.length = 0;
    // an mdadm --stop that "works" but the array is back at once (udev re-assembly)
    const stubborn = new FakeRunner();
    for (const rule of ["udevadm", "systemctl"]) stubborn.answer([rule], { exitCode: 0 });
    stubborn.answer(["mdadm", "--detail", "--export"], capturedResult(SPIKE("boot-autoassembled"), "mdadm--detail--export--md127"));
    stubborn.answer(["mdadm", "--stop"], { exitCode: 0 });
    const out = await startKeeper(config(), { ...r.deps, runner: stubborn });
    expect(out.rc).toBe(1);
    expect(out.message).toMatch(/^gave up after \d+ attempt\(s\) in \d+ s: md127 holds \/dev\/vdb again right after the stop/);
    expect(stubborn.callsTo("mdadm").filter((a) => a[1] === "--stop").length).toBeGreaterThan(1);
    expect(stubborn.callsTo("tgtadm")).toEqual([]);
    expect(r.events.filter((e) => e.decision === "retry").length).toBeGreaterThan(1);
    expect(r.clock).toBeLessThanOrEqual(10_000);
  });
});

describe("start: refusals touch nothing", () => {
  const untouched = (r: Rig) => {
    expect(mutatingTgtadm(r.runner)).toEqual([]);
    expect(r.runner.callsTo("mdadm").filter((a) => a[1] === "--stop")).toEqual([]);
    expect(readFileSync(join(r.root, "etc/mdadm/mdadm.conf"), "utf8")).toBe("HOMEHOST <system>\nMAILADDR root\n");
  };

  it("an array with another UUID holding the disk", async () => {
    const r = bootRace();
    const out = await startKeeper({ ...config(), managedUuid: "1e618de371fb3487b1b62896ad659dc6" }, r.deps);
    expect(out.rc).toBe(1);
    expect(out.message).toBe(
      "refused: md127 (UUID fe26dedf:8930648b:a5a71d3f:48409ac0, inactive) holds /dev/vdb and is not the managed array 1e618de3:71fb3487:b1b62896:ad659dc6: not stopping it; stop it yourself if it is not in use, or correct managed_uuid",
    );
    untouched(r);
  });

  it("the managed array holding the disk is mounted", async () => {
    const r = bootRace();
    r.host.extraMounts.push("/dev/md127 /srv/shared ext4 rw 0 0");
    const out = await startKeeper(config(), r.deps);
    expect(out).toEqual({ rc: 1, message: "refused: md127 (the managed array, inactive) holds /dev/vdb and is mounted at /srv/shared: refusing to stop it" });
    untouched(r);
  });

  it("the disk itself is mounted", async () => {
    const r = bootRace();
    r.host.extraMounts.push("/dev/vdb /mnt ext4 rw 0 0");
    const out = await startKeeper(config(), r.deps);
    expect(out).toEqual({ rc: 1, message: "refused: /dev/vdb is mounted at /mnt: refusing to export a disk in use by a filesystem" });
    untouched(r);
  });

  it("a missing disk: retried until the deadline, then a clear failure, nothing exported", async () => {
    const r = bootRace();
    const c = { ...config(), backingDevice: "/dev/disk/by-path/pci-0000:00:09.0" };
    const out = await startKeeper(c, r.deps);
    expect(out.rc).toBe(1);
    expect(out.message).toMatch(/gave up after \d+ attempt\(s\) .*backing device \/dev\/disk\/by-path\/pci-0000:00:09.0 does not exist/);
    expect(r.runner.callsTo("tgtadm")).toEqual([]);
    untouched(r);
  });

  it("the disk is the root disk (vda, mounted at / in the capture's lsblk)", async () => {
    const r = bootRace();
    const out = await startKeeper({ ...config(), backingDevice: "/dev/disk/by-path/pci-0000:00:02.0" }, r.deps);
    expect(out).toEqual({ rc: 1, message: "refused: /dev/vda is mounted at /: refusing to export a disk in use by a filesystem" });
    untouched(r);
  });

  it("the disk is used as swap", async () => {
    const r = bootRace();
    r.host.swaps = ["/dev/vdb partition 262140 0 -2"];
    expect((await startKeeper(config(), r.deps)).message).toBe("refused: /dev/vdb is used as swap: refusing to export it");
    untouched(r);
  });

  it("the disk is held by something other than md", async () => {
    const r = bootRace();
    r.host.extraHolders.set("vdb", ["dm-0"]);
    expect((await startKeeper(config(), r.deps)).message).toBe("refused: /dev/vdb is held by dm-0 (not md): refusing to export a disk in use");
    untouched(r);
  });

  it("/proc/mounts cannot be read: no proof the disk is unused", async () => {
    const r = bootRace();
    r.host.mountsUnreadable = true;
    expect((await startKeeper(config(), r.deps)).message).toMatch(/^refused: cannot read \/proc\/mounts/);
    untouched(r);
  });

  it("an md holder whose UUID cannot be read is not stopped", async () => {
    const r = bootRace();
    const blind = new FakeRunner().answer(["udevadm"], { exitCode: 0 });
    // mdadm fails on both reads (exit 1, no output); only the exit code matters to the keeper
    blind.answer(["mdadm"], { exitCode: 1 });
    const out = await startKeeper(config(), { ...r.deps, runner: blind });
    expect(out.message).toBe(
      "refused: md127 holds /dev/vdb but its UUID cannot be read (sysfs, mdadm --detail, mdadm --examine): not stopping an array I cannot identify",
    );
    expect(blind.callsTo("mdadm")).toEqual([
      ["mdadm", "--detail", "--export", "/dev/md127"],
      ["mdadm", "--examine", "--export", "/dev/vdb"],
    ]);
    untouched(r);
  });

  it("mdadm.conf cannot be written: nothing is stopped or exported", async () => {
    const r = bootRace();
    const out = await startKeeper({ ...config(), mdadmConf: "/etc/mdadm/mdadm.conf/sub.conf" }, r.deps);
    expect(out.rc).toBe(1);
    expect(out.message).toMatch(/^refused: cannot write \/etc\/mdadm\/mdadm.conf\/sub.conf: .*cannot keep md from re-assembling the disk, so nothing is exported$/);
    untouched(r);
  });

  it("tgtadm not installed: exit 5", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: { exitCode: null, signal: null, stdout: "", stderr: "", timedOut: false, durationMs: 0, failedToStart: "tgtadm not found in /usr/sbin:/usr/bin:/sbin:/bin" } });
    const out = await startKeeper(config("", "iqn.2024-01.lab.pmslab:node2.data"), r.deps);
    expect(out).toEqual({ rc: 5, message: "refused: tgtadm is not installed (tgtadm not found in /usr/sbin:/usr/bin:/sbin:/bin)" });
  });

  it("tgtd cannot be started: exit 5, nothing exported", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: hostShow("show-target--no-tgtd") });
    const out = await startKeeper(config("", "iqn.2024-01.lab.pmslab:node2.data"), {
      ...r.deps,
      spawner: { spawnDetached: async () => ({ ok: false, reason: "tgtd not found in /usr/sbin:/usr/bin:/sbin:/bin" }) },
    });
    expect(out).toEqual({ rc: 5, message: "refused: cannot start tgtd: tgtd not found in /usr/sbin:/usr/bin:/sbin:/bin" });
    expect(mutatingTgtadm(r.runner)).toEqual([]);
  });

  it("on the node running the array: an iSCSI LUN as backing device is refused, the running array is never stopped", async () => {
    const r = rig({ capture: ["raid1-healthy"], show: spikeShow("raid1-healthy") });
    const c = {
      ...config("", "iqn.2024-01.lab.pmslab:node1.data"),
      backingDevice: "/dev/disk/by-path/ip-10.99.0.11:3260-iscsi-iqn.2024-01.lab.pmslab:node1.data-lun-1",
      managedUuid: "1e618de371fb3487b1b62896ad659dc6",
    };
    const out = await startKeeper(c, r.deps);
    expect(out.rc).toBe(1);
    expect(out.message).toContain("resolves to /dev/sdc, an iSCSI disk");
    untouched(r);
  });

  it("the configured tid belongs to another target", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: hostShow("show-target--two-targets-direct-cidr") });
    const out = await startKeeper({ ...config("", "iqn.2024-01.lab.pmslab:node2.data"), tid: 3 }, r.deps);
    expect(out).toEqual({ rc: 1, message: "refused: tid 3 is used by another target (iqn.2024-01.lab.pmslab:other.data): set a free tid in the config" });
    expect(mutatingTgtadm(r.runner)).toEqual([]);
  });

  it("the LUN exists with another backing store", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: hostShow("show-target--acl-chap") });
    const out = await startKeeper(config("", "iqn.2024-01.lab.pmslab:node1.data"), r.deps);
    expect(out.rc).toBe(1);
    expect(out.message).toContain("LUN 1 of iqn.2024-01.lab.pmslab:node1.data exports /tmp/tgtcap/disk.img, not /dev/vdb");
    expect(mutatingTgtadm(r.runner)).toEqual([]);
  });
});

describe("start: cold boot without tgtd, CHAP and bsoflags", () => {
  it("starts tgtd detached, creates target, LUN, identity, CHAP, then the ACL last, and verifies", async () => {
    const r = rig({
      capture: ["boot-autoassembled"],
      show: hostShow("show-target--no-tgtd"),
      onTgtadm: (rr, argv) => {
        if (argv.includes("10.99.0.13")) rr.show = keeperShow("fresh-show-after");
      },
    });
    // The account of the ipc/new-account.bin capture, so the bytes can be compared with what tgtadm sent.
    const out = await startKeeper(config("chap_user = pmsapp\nchap_password = s3cret-pass-123\nbsoflags = direct"), r.deps);
    expect(out.rc).toBe(0);
    expect(r.spawned).toEqual([["tgtd", "-f"]]);
    expect(readFileSync(join(r.root, "run/pmsapp/tgtd.pid"), "utf8")).toBe("4242\n");
    const ops = mutatingTgtadm(r.runner).map((a) => a.slice(3, 7).join(" "));
    expect(ops).toEqual([
      "--op new --mode target",
      "--op new --mode logicalunit",
      "--op update --mode logicalunit",
      "--op delete --mode account",
      "--op bind --mode account",
      "--op bind --mode target",
      "--op bind --mode target",
      "--op bind --mode target",
    ]);
    // the account went over tgtd's socket, byte for byte what tgtadm 1.0.85 sends for it ...
    expect(r.runner.callsTo("tgtadm").filter((a) => a.includes("--version"))).toHaveLength(1);
    expect(r.ipcRequests.map((q) => q.socketPath)).toEqual(["/var/run/tgtd/socket.0"]);
    expect(r.ipcRequests[0]?.request.equals(readFileSync(join(HOST_TGT, "ipc", "new-account.bin")))).toBe(true);
    // ... and the secret is on no command line, in no log line and no journal record
    expect(JSON.stringify(r.runner.calls)).not.toContain("s3cret-pass-123");
    expect(JSON.stringify(r.events)).not.toContain("s3cret-pass-123");
    expect(r.events.find((e) => e.decision === "chap-account-created")?.reason).toContain("over tgtd's management socket /var/run/tgtd/socket.0 (tgt 1.0.85)");
  });

  it("a tgtadm failure is retried (captured refusal, then success)", async () => {
    const r = bootRace();
    r.runner.on({ prefix: ["tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "logicalunit"], answer: hostShow("new-lun--missing-path"), times: 1 });
    // rules are matched in order: move the one-shot failure in front
    const rules = (r.runner as unknown as { rules: unknown[] }).rules;
    rules.unshift(rules.pop());
    const out = await startKeeper(config(), r.deps);
    expect(out.rc).toBe(0);
    expect(r.events.find((e) => e.decision === "retry")?.reason).toContain("lun-created failed: tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /dev/vdb: exit 22 (invalid request)");
  });
});

describe("stop", () => {
  it("refuses while an initiator is logged in, naming it, and removes nothing", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: spikeShow("raid1-healthy", "node2") });
    const out = await stopKeeper(config("", "iqn.2024-01.lab.pmslab:node2.data"), r.deps, false);
    expect(out.rc).toBe(1);
    expect(out.message).toContain("initiators are logged in to iqn.2024-01.lab.pmslab:node2.data: iqn.2024-01.lab.pmslab:node1 (10.99.0.11)");
    expect(mutatingTgtadm(r.runner)).toEqual([]);
  });

  it("--force removes the target with its connections", async () => {
    const r = rig({
      capture: ["raid1-healthy", "node2"],
      show: spikeShow("raid1-healthy", "node2"),
      onTgtadm: (rr) => {
        rr.show = keeperShow("force-show-after");
      },
    });
    const out = await stopKeeper(config("", "iqn.2024-01.lab.pmslab:node2.data"), r.deps, true);
    expect(out).toEqual({ rc: 0, message: "iqn.2024-01.lab.pmslab:node2.data is no longer exported" });
    expect(mutatingTgtadm(r.runner)).toEqual([["tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", "1", "--force"]]);
  });

  it("without initiators: LUN, target, then the keeper's own tgtd; idempotent when nothing is left", async () => {
    const r = rig({
      capture: ["boot-autoassembled"],
      show: keeperShow("race-show-after"),
      onTgtadm: (rr, argv) => {
        if (argv.includes("target") && argv.includes("delete")) rr.show = keeperShow("stop-show-after");
      },
    });
    mkdirSync(join(r.root, "run/pmsapp"), { recursive: true });
    writeFileSync(join(r.root, "run/pmsapp/tgtd.pid"), "4242\n");
    r.host.livePids.set(4242, "tgtd");
    expect((await stopKeeper(config(), r.deps, false)).rc).toBe(0);
    expect(mutatingTgtadm(r.runner).map((a) => a.slice(3).join(" "))).toEqual([
      "--op delete --mode logicalunit --tid 1 --lun 1",
      "--op delete --mode target --tid 1",
      "--op delete --mode system",
    ]);
    expect(r.deps.files.exists("/run/pmsapp/tgtd.pid")).toBe(false);
    r.show = hostShow("show-target--after-delete-system");
    expect(await stopKeeper(config(), r.deps, false)).toMatchObject({ rc: 0, message: expect.stringContaining("nothing exported: tgtd is not running") });
  });
});

describe("status (LSB 0/3)", () => {
  it("0 when the LUN is exported from the disk and no md holds it", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: keeperShow("race-show-after") });
    const s = await statusKeeper(config(), r.deps);
    expect(s).toEqual({ rc: 0, message: "exported: /dev/vdb as iqn.2024-01.lab.pmslab:node3.data LUN 1; initiators logged in: none" });
  });

  it("3 in the lost race: md127 holds the disk and tgtd has no LUN 1", async () => {
    const r = rig({ capture: ["boot-autoassembled"], show: spikeShow("boot-autoassembled") });
    expect(await statusKeeper(config(), r.deps)).toEqual({ rc: 3, message: "not healthy: md127 (local md) holds /dev/vdb" });
  });

  it("3 when md holds the disk even though tgtd exports it (two writers)", async () => {
    const r = rig({ capture: ["boot-autoassembled"], show: keeperShow("race-show-after") });
    expect((await statusKeeper(config(), r.deps)).message).toBe("not healthy: md127 (local md) holds /dev/vdb while tgtd exports it (two writers possible)");
  });

  it("0 with a warning when tgtd's ACL is not the configured one (tgt-admin's ALL)", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: spikeShow("raid1-healthy", "node2") });
    const s = await statusKeeper(config("", "iqn.2024-01.lab.pmslab:node2.data"), r.deps);
    expect(s.rc).toBe(0);
    expect(s.message).toContain("initiators logged in: iqn.2024-01.lab.pmslab:node1; warning: ACL of iqn.2024-01.lab.pmslab:node2.data is [ALL]");
  });

  it("3 when tgtd is not running", async () => {
    const r = rig({ capture: ["raid1-healthy", "node2"], show: hostShow("show-target--no-tgtd") });
    expect(await statusKeeper(config(), r.deps)).toEqual({
      rc: 3,
      message: "not exported: tgtd is not running (failed to send request hdr to tgt daemon, Transport endpoint is not connected)",
    });
  });
});
