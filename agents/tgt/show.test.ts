import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { dataLuns, findTarget, parseTgtShow } from "./show.js";

const SPIKE = fixture("spike-2026-11-24");
const show = (...state: string[]) => parseTgtShow(readFileSync(join(SPIKE, ...state, "tgtadm-op-show.txt"), "utf8"));

function allShowFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allShowFiles(p));
    else if (name === "tgtadm-op-show.txt") out.push(p);
  }
  return out.sort();
}

describe("parseTgtShow on every captured tgtadm --op show", () => {
  const files = allShowFiles(SPIKE);

  it("finds all ten captures", () => {
    expect(files.map((f) => relative(SPIKE, f))).toHaveLength(10);
  });

  for (const file of files) {
    it(`${relative(SPIKE, file)}: one ready iscsi target of the lab with LUN 0 controller, ACL ALL`, () => {
      const targets = parseTgtShow(readFileSync(file, "utf8"));
      expect(targets).toHaveLength(1);
      const t = targets[0]!;
      expect(t.tid).toBe(1);
      expect(t.iqn).toMatch(/^iqn\.2024-01\.lab\.pmslab:node[123]\.data$/);
      expect(t).toMatchObject({ driver: "iscsi", state: "ready", acl: ["ALL"], accounts: [] });
      expect(t.luns[0]).toEqual({
        lun: 0,
        type: "controller",
        backingStore: undefined,
        backingStoreType: "null",
        backingStoreFlags: undefined,
        online: true,
        readonly: false,
        scsiId: "IET     00010000",
        scsiSn: "beaf10",
      });
      expect(t.nexuses.length).toBeGreaterThanOrEqual(1);
      for (const n of t.nexuses) {
        expect(n.initiator).toMatch(/^iqn\.2024-01\.lab\.pmslab:node[123]$/);
        expect(n.addresses).toHaveLength(1);
        expect(n.addresses[0]).toMatch(/^10\.99\.0\.1[123]$/);
      }
    });
  }
});

describe("parseTgtShow details", () => {
  it("healthy node1 target: LUN 1 is /dev/vdb, node1 logged in", () => {
    const [t] = show("raid1-healthy");
    expect(t?.iqn).toBe("iqn.2024-01.lab.pmslab:node1.data");
    expect(t?.luns[1]).toEqual({
      lun: 1,
      type: "disk",
      backingStore: "/dev/vdb",
      backingStoreType: "rdwr",
      backingStoreFlags: undefined,
      online: true,
      readonly: false,
      scsiId: "pmslab-node1",
      scsiSn: "pmslabnode1",
    });
    expect(t?.nexuses).toEqual([{ nexus: 1, initiator: "iqn.2024-01.lab.pmslab:node1", alias: "node1", addresses: ["10.99.0.11"] }]);
    expect(t && dataLuns(t).map((l) => l.backingStore)).toEqual(["/dev/vdb"]);
  });

  it("node2 seen from the target side: its own scsi_id, node1 as initiator", () => {
    const [t] = show("raid1-healthy", "node2");
    expect(t?.iqn).toBe("iqn.2024-01.lab.pmslab:node2.data");
    expect(t?.luns[1]).toMatchObject({ scsiId: "pmslab-node2", scsiSn: "pmslabnode2", backingStore: "/dev/vdb" });
    expect(t?.nexuses.map((n) => n.initiator)).toEqual(["iqn.2024-01.lab.pmslab:node1"]);
  });

  it("two initiators logged in (raid5-dirty-degraded on node2)", () => {
    const [t] = show("raid5-dirty-degraded");
    expect(t?.nexuses).toEqual([
      { nexus: 1, initiator: "iqn.2024-01.lab.pmslab:node1", alias: "node1", addresses: ["10.99.0.11"] },
      { nexus: 2, initiator: "iqn.2024-01.lab.pmslab:node2", alias: "node2", addresses: ["10.99.0.12"] },
    ]);
  });

  it("nexus ids are read, not counted (raid1-stopped-examine has nexus 2 after re-login)", () => {
    const [t] = show("raid1-stopped-examine");
    expect(t?.nexuses.map((n) => n.nexus)).toEqual([2]);
  });

  it("the lost boot race: only the controller LUN, no data LUN, while node2 is logged in", () => {
    const targets = show("boot-autoassembled");
    const t = findTarget(targets, "iqn.2024-01.lab.pmslab:node3.data");
    expect(t).toBeDefined();
    expect(t?.luns.map((l) => l.lun)).toEqual([0]);
    expect(t && dataLuns(t)).toEqual([]);
    expect(t?.nexuses.map((n) => n.initiator)).toEqual(["iqn.2024-01.lab.pmslab:node2"]);
    expect(findTarget(targets, "iqn.2024-01.lab.pmslab:node1.data")).toBeUndefined();
  });

  it("empty output (tgtd running, no target) gives no target", () => {
    expect(parseTgtShow("")).toEqual([]);
  });
});

describe("parseTgtShow on the host tgtd captures (explicit ACL, CHAP, several targets)", () => {
  const host = (name: string) => parseTgtShow(readFileSync(fixture("tgt-host-2026-11-24", `${name}.txt`), "utf8"));

  it("ACL by address and by initiator name, CHAP user, scsi_id/scsi_sn set by the keeper's update", () => {
    const [t] = host("show-target--acl-chap");
    expect(t?.acl).toEqual(["10.99.0.11", "10.99.0.12", "iqn.2024-01.lab.pmslab:node3"]);
    expect(t?.accounts).toEqual([{ user: "pmsapp", outgoing: false }]);
    expect(t?.nexuses).toEqual([]);
    expect(t?.luns[1]).toMatchObject({ scsiId: "pmsapp-node1", scsiSn: "pmsappnode1", backingStore: "/tmp/tgtcap/disk.img" });
  });

  it("ALL shows as one ACL entry among addresses (addresses first, then names)", () => {
    const [t] = host("show-target--acl-all-and-addresses");
    expect(t?.acl).toEqual(["10.99.0.11", "10.99.0.12", "ALL", "iqn.2024-01.lab.pmslab:node3"]);
  });

  it("a target with no ACL and no LUN but the controller", () => {
    const [t] = host("show-target--controller-only-no-acl");
    expect(t?.acl).toEqual([]);
    expect(t && dataLuns(t)).toEqual([]);
  });

  it("two targets, bsoflags direct and a CIDR ACL", () => {
    const targets = host("show-target--two-targets-direct-cidr");
    expect(targets.map((t) => [t.tid, t.iqn])).toEqual([
      [1, "iqn.2024-01.lab.pmslab:node1.data"],
      [3, "iqn.2024-01.lab.pmslab:other.data"],
    ]);
    expect(targets[0]?.acl).toEqual(["10.99.0.0/24"]);
    expect(targets[1]?.acl).toEqual([]);
    expect(targets[0]?.luns[1]).toMatchObject({ backingStore: "/tmp/tgtcap/disk.img", backingStoreFlags: "direct" });
  });

  it("no target at all prints nothing", () => {
    expect(host("show-target--empty")).toEqual([]);
    expect(host("show-target--after-delete")).toEqual([]);
  });
});
