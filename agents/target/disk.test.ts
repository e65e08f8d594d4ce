import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { inspectDisk, otherMembers, parseMdadmExport, parseMounts, resolveBackingDevice } from "./disk.js";
import { mountsFromLsblk } from "./test-host.js";

const spike = (...p: string[]) => captureHostFs(fixture("spike-2026-11-24", ...p));

describe("resolveBackingDevice on captured nodes", () => {
  it("the lab's backing disk by path is vdb", () => {
    expect(resolveBackingDevice(spike("boot-autoassembled"), "/dev/disk/by-path/virtio-pci-0000:00:03.0")).toEqual({ ok: true, device: "/dev/vdb", name: "vdb" });
  });
  it("refuses an iSCSI LUN (the node's own target seen through the initiator) even though its path is stable", () => {
    const r = resolveBackingDevice(spike("raid1-healthy"), "/dev/disk/by-path/ip-10.99.0.11:3260-iscsi-iqn.2024-01.lab.pmslab:node1.data-lun-1");
    expect(r).toMatchObject({ ok: false, missing: false });
    expect(!r.ok && r.reason).toBe(
      "backing device /dev/disk/by-path/ip-10.99.0.11:3260-iscsi-iqn.2024-01.lab.pmslab:node1.data-lun-1 resolves to /dev/sdc, an iSCSI disk (/sys/devices/platform/host2/session3/target2:0:0/2:0:0:1/block/sdc): export this node's local disk, never a LUN logged in from a target",
    );
  });
  it("a link that is not there is 'missing' (retried), not refused", () => {
    expect(resolveBackingDevice(spike("boot-autoassembled"), "/dev/disk/by-path/pci-0000:00:07.0")).toMatchObject({ ok: false, missing: true });
  });
});

describe("inspectDisk and md members", () => {
  it("boot race: md127 holds vdb and has no other member (a stray)", () => {
    const fs = spike("boot-autoassembled");
    const d = inspectDisk(fs, { device: "/dev/vdb", name: "vdb" });
    expect(d.mdHolders).toEqual(["md127"]);
    expect(d.otherHolders).toEqual([]);
    expect(otherMembers(fs, "md127", d)).toEqual([]);
  });
  it("a running RAID1 over two LUNs has another member besides either disk (never a stray)", () => {
    const fs = spike("raid1-healthy");
    const d = inspectDisk(fs, { device: "/dev/sdc", name: "sdc" });
    expect(d.mdHolders).toEqual(["md127"]);
    expect(otherMembers(fs, "md127", d)).toEqual(["sdb"]);
  });
  it("the target side of a healthy array: vdb has no holder", () => {
    expect(inspectDisk(spike("raid1-healthy", "node2"), { device: "/dev/vdb", name: "vdb" }).mdHolders).toEqual([]);
  });
});

describe("parsers", () => {
  it("mounts with octal escapes; lsblk-derived mounts of the capture", () => {
    expect(parseMounts("/dev/vdb1 /mnt/a\\040b ext4 rw 0 0\n")).toEqual([{ source: "/dev/vdb1", target: "/mnt/a b" }]);
    const lsblk = "NAME    MAJ:MIN  SIZE TYPE FSTYPE            MOUNTPOINT\nvda     254:0    1.5G disk ext4              /\nvdb     254:16   256M disk linux_raid_member \n";
    expect(mountsFromLsblk(lsblk)).toBe("/dev/vda / ext4 rw 0 0\n");
  });
  it("mdadm --detail --export of the inactive array (real)", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(fixture("spike-2026-11-24", "boot-autoassembled", "mdadm--detail--export--md127.txt"), "utf8");
    expect(parseMdadmExport(text)).toMatchObject({ MD_UUID: "fe26dedf:8930648b:a5a71d3f:48409ac0", MD_DEVICE_dev_vdb_ROLE: "spare" });
  });
});
