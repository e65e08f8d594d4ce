import { describe, expect, it } from "vitest";
import { captureHostFs } from "../../agents/system/capture-fs.js";
import type { HostFs } from "../../agents/system/host-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { CREATE_EXIT, parseCreateArgs, runCreate } from "./create.js";

/**
 * Hosts: lab/healthy (node1 runs a RAID1 over sda=node1 and sdb=node2; sdc=node3's LUN is blank) and
 * spike raid1-stopped-examine (node1+node2 LUNs logged in, not assembled, both carry the stopped array's
 * superblock). The captures hold no /sys/block/<disk>/size, so it is overlaid with the size the captured
 * superblocks imply: Avail Dev Size 522240 + Data Offset 2048 = 524288 sectors (the lab's 256 MiB disks).
 */
const LUN_SECTORS = "524288";
function withSizes(fs: HostFs): HostFs {
  return { ...fs, readText: (p) => (/^\/sys\/block\/sd[a-z]+\/size$/.test(p) ? LUN_SECTORS : fs.readText(p)) };
}
const HEALTHY = fixture("lab", "healthy");
const STOPPED = fixture("spike-2026-11-24", "raid1-stopped-examine");
const labLun = (n: number) => `/dev/disk/by-path/ip-10.99.1.1${n}:3260-iscsi-iqn.2026-11.lab.pmsapp:node${n}.disk-lun-1`;
const spikeLun = (n: number) => `/dev/disk/by-path/ip-10.99.0.1${n}:3260-iscsi-iqn.2024-01.lab.pmslab:node${n}.data-lun-1`;

function io(fs: HostFs, runner: FakeRunner) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l), env: {}, runner, fs } };
}

/** mdadm --examine --export of a member path answered from the capture of the disk it links to. */
function examineFrom(dir: string, byDisk: Record<string, string>): FakeRunner {
  const r = new FakeRunner();
  for (const [path, disk] of Object.entries(byDisk)) r.on({ prefix: ["mdadm", "--examine", "--export", path], answer: capturedResult(dir, `mdadm--examine--export--${disk}`) });
  return r;
}

describe("pmsapp create: argument parsing", () => {
  it("needs a known layout and members; rejects hostile values", () => {
    const byDefault = parseCreateArgs([spikeLun(1), spikeLun(2), spikeLun(3)]);
    expect(byDefault.ok && "args" in byDefault && byDefault.args.layout.name).toBe("raid1");
    expect(parseCreateArgs(["--layout", "raid0", spikeLun(1)])).toEqual({ ok: false, error: expect.stringContaining("unknown layout 'raid0'") });
    expect(parseCreateArgs(["--layout", "raid1"])).toEqual({ ok: false, error: expect.stringContaining("no members") });
    expect(parseCreateArgs(["--layout", "raid1", "--md-device", "/dev/md0;reboot", spikeLun(1)])).toEqual({ ok: false, error: expect.stringContaining("--md-device") });
    expect(parseCreateArgs(["--layout", "raid1", "--homehost", "node1 x", spikeLun(1)])).toEqual({ ok: false, error: expect.stringContaining("--homehost") });
    expect(parseCreateArgs(["--layout", "raid1", "--wat", spikeLun(1)])).toEqual({ ok: false, error: expect.stringContaining("unknown option '--wat'") });
  });

  it("usage errors exit 2 and run nothing", async () => {
    const runner = new FakeRunner();
    const t = io(captureHostFs(HEALTHY), runner);
    expect(await runCreate(["--layout", "raid9", labLun(3)], t.io)).toBe(CREATE_EXIT.USAGE);
    expect(runner.calls).toEqual([]);
  });
});

describe("pmsapp create: refusals (exit 6, nothing written)", () => {
  it("refuses members held by a running array, and runs no mdadm --create", async () => {
    const runner = examineFrom(HEALTHY, { [labLun(3)]: "sdc" });
    const t = io(withSizes(captureHostFs(HEALTHY)), runner);
    const rc = await runCreate(["--layout", "raid1", labLun(1), labLun(2), labLun(3)], t.io);
    expect(rc).toBe(CREATE_EXIT.REFUSED);
    expect(t.err.join("\n")).toMatch(/node1\.disk-lun-1.*\(sda\) is held by \/dev\/md127/);
    expect(t.err.join("\n")).toMatch(/\(sdb\) is held by \/dev\/md127/);
    expect(runner.callsTo("mdadm").filter((a) => a[1] === "--create")).toEqual([]);
  });

  it("refuses bare kernel names and local disks, naming this node's exported LUN", async () => {
    const runner = new FakeRunner().on({ prefix: ["tgtadm", "--lld", "iscsi", "--op", "show"], answer: capturedResult(HEALTHY, "tgtadm-op-show") });
    runner.on({ prefix: ["mdadm", "--examine", "--export", labLun(3)], answer: capturedResult(HEALTHY, "mdadm--examine--export--sdc") });
    const t = io(withSizes(captureHostFs(HEALTHY)), runner);
    const rc = await runCreate(["--layout", "raid1", "/dev/sdc", "/dev/disk/by-id/virtio-data1", labLun(3)], t.io);
    expect(rc).toBe(CREATE_EXIT.REFUSED);
    const text = t.err.join("\n");
    expect(text).toMatch(/"\/dev\/sdc" is a kernel disk name/);
    expect(text).toMatch(/virtio-data1" is not an iSCSI LUN path.*this node's exported disk \(iqn\.2026-11\.lab\.pmsapp:node1\.disk LUN 1\)/);
    expect(runner.callsTo("mdadm").filter((a) => a[1] === "--create")).toEqual([]);
  });

  it("refuses a local disk's by-path link (not an iSCSI LUN)", async () => {
    const runner = new FakeRunner().on({ prefix: ["tgtadm"], answer: capturedResult(HEALTHY, "tgtadm-op-show") });
    runner.on({ prefix: ["mdadm", "--examine", "--export", labLun(3)], answer: capturedResult(HEALTHY, "mdadm--examine--export--sdc") });
    const t = io(withSizes(captureHostFs(HEALTHY)), runner);
    expect(await runCreate(["--layout", "raid1", "/dev/disk/by-path/virtio-pci-0000:00:03.0", labLun(3)], t.io)).toBe(CREATE_EXIT.REFUSED);
    expect(t.err.join("\n")).toMatch(/virtio-pci-0000:00:03\.0" is not the by-path link of an iSCSI LUN/);
  });

  it("refuses members that carry another array's superblock unless --force-overwrite-superblock", async () => {
    const runner = examineFrom(STOPPED, { [spikeLun(1)]: "sda", [spikeLun(2)]: "sdb" });
    const t = io(withSizes(captureHostFs(STOPPED)), runner);
    expect(await runCreate(["--layout", "raid1", spikeLun(1), spikeLun(2)], t.io)).toBe(CREATE_EXIT.REFUSED);
    expect(t.err.join("\n")).toMatch(/node1\.data-lun-1 carries a member superblock of array 1e618de3:71fb3487:b1b62896:ad659dc6 \(raid1, name pmslab:lab, events 35\).*--force-overwrite-superblock/);
    expect(runner.callsTo("mdadm").filter((a) => a[1] === "--create")).toEqual([]);
  });

  it("refuses raid5-bitmap without --accept-write-hole, raid5-journal always, and wrong member counts", async () => {
    const fs = withSizes(captureHostFs(STOPPED));
    const run = async (argv: string[]) => {
      const t = io(fs, examineFrom(STOPPED, { [spikeLun(1)]: "sda", [spikeLun(2)]: "sdb" }));
      return { rc: await runCreate(argv, t.io), err: t.err.join("\n") };
    };
    const bitmap = await run(["--layout", "raid5-bitmap", "--force-overwrite-superblock", spikeLun(1), spikeLun(2)]);
    expect(bitmap.rc).toBe(CREATE_EXIT.REFUSED);
    expect(bitmap.err).toMatch(/raid5-bitmap is refused without --accept-write-hole.*write hole/);
    expect(bitmap.err).toMatch(/takes 3 to 16 members, 2 given/);
    const journal = await run(["--layout", "raid5-journal", "--force-overwrite-superblock", spikeLun(1), spikeLun(2)]);
    expect(journal.err).toMatch(/raid5-journal is not supported: the write journal closes the write hole only if the node that takes over can read it/);
    const same = await run(["--layout", "raid1", "--force-overwrite-superblock", spikeLun(1), spikeLun(1)]);
    expect(same.err).toMatch(/LUNs of the same target iqn\.2024-01\.lab\.pmslab:node1\.data/);
  });
});

describe("pmsapp create: what it runs", () => {
  const ARGV = ["--layout", "raid1", "--force-overwrite-superblock", spikeLun(1), spikeLun(2)];
  const EXPECTED = ["mdadm", "--create", "/dev/md/pmsapp", "--run", "--level=1", "--raid-devices=2", "--metadata=1.2", "--bitmap=internal", "--bitmap-chunk=1M", "--homehost=pmsapp", "--name=pmsapp", spikeLun(1), spikeLun(2)];

  it("--dry-run checks everything, prints the command and the follow-up, and runs only read-only examines", async () => {
    const runner = examineFrom(STOPPED, { [spikeLun(1)]: "sda", [spikeLun(2)]: "sdb" });
    const t = io(withSizes(captureHostFs(STOPPED)), runner);
    expect(await runCreate([...ARGV, "--dry-run"], t.io)).toBe(CREATE_EXIT.OK);
    expect(t.out).toContain(`would run: ${EXPECTED.join(" ")}`);
    expect(t.out).toContain('  targets = "iqn.2024-01.lab.pmslab:node1.data@10.99.0.11:3260 iqn.2024-01.lab.pmslab:node2.data@10.99.0.12:3260"');
    expect(t.out).toContain("    AUTO -all");
    expect(t.err.join("\n")).toMatch(/warning: .*node1\.data-lun-1 carries a member superblock .*overwritten/);
    expect(runner.calls.map((c) => c.argv[1])).toEqual(["--examine", "--examine"]);
  });

  it("creates through the Runner with the lab-proven settings, then prints the UUID and the mdadm.conf lines for every node", async () => {
    // Before the create the members carry the stopped array's superblock; after it, a new array's (the
    // lab's healthy RAID1 member stands in for it). mdadm --create's output is not parsed, only its exit code.
    const runner = new FakeRunner();
    runner.on({ prefix: ["mdadm", "--examine", "--export", spikeLun(1)], answer: capturedResult(STOPPED, "mdadm--examine--export--sda"), times: 1 });
    runner.on({ prefix: ["mdadm", "--examine", "--export", spikeLun(2)], answer: capturedResult(STOPPED, "mdadm--examine--export--sdb"), times: 1 });
    runner.on({ prefix: ["mdadm", "--create"], answer: { exitCode: 0 } });
    runner.on({ prefix: ["mdadm", "--examine", "--export", spikeLun(1)], answer: capturedResult(HEALTHY, "mdadm--examine--export--sda") });
    const t = io(withSizes(captureHostFs(STOPPED)), runner);
    expect(await runCreate(ARGV, t.io)).toBe(CREATE_EXIT.OK);
    expect(runner.callsTo("mdadm").find((a) => a[1] === "--create")).toEqual(EXPECTED);
    expect(runner.callsTo("mdadm").map((a) => a[1])).toEqual(["--examine", "--examine", "--create", "--examine"]);
    expect(t.out).toContain("created /dev/md/pmsapp, array UUID 7b6e5cf9:0f1ef5e6:e0c22a08:2a48a416");
    expect(t.out).toContain("  uuid = 7b6e5cf9:0f1ef5e6:e0c22a08:2a48a416");
    expect(t.out).toContain("    ARRAY <ignore> UUID=7b6e5cf9:0f1ef5e6:e0c22a08:2a48a416");
  });

  it("raid5-ppl gets the consistency policy and no bitmap; --assume-clean is refused with it", async () => {
    const runner = examineFrom(HEALTHY, { [labLun(3)]: "sdc" });
    const t = io(withSizes(captureHostFs(HEALTHY)), runner);
    // Three blank LUNs are not in any capture: the held members are refused, the argv is checked in create-argv.test.ts.
    expect(await runCreate(["--layout", "raid5-ppl", "--assume-clean", "--dry-run", labLun(1), labLun(2), labLun(3)], t.io)).toBe(CREATE_EXIT.REFUSED);
    expect(t.err.join("\n")).toMatch(/--assume-clean with raid5-ppl/);
  });
});
