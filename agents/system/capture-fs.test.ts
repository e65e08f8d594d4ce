import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureHostFs } from "./capture-fs.js";

describe("captureHostFs replays a captured node", () => {
  const fs = captureHostFs(fixture("spike-2026-11-24", "raid1-member-faulty"));

  it("reads sysfs attributes and /proc/mdstat", () => {
    expect(fs.readText("/sys/block/md127/md/array_state")).toBe("clean");
    expect(fs.readText("/sys/block/md127/md/dev-sdb/state")).toBe("faulty");
    expect(fs.readText("/proc/mdstat")).toContain("md127 : active raid1 sdb[1](F) sdc[0]");
    expect(fs.readText("/sys/block/md127/md/no_such_attribute")).toBeUndefined();
  });

  it("lists directories recorded as text and by-path links", () => {
    expect(fs.readDir("/sys/block/md127/slaves")).toEqual(["sdb", "sdc"]);
    expect(fs.readDir("/sys/block/vdb/holders")).toEqual([]);
    expect(fs.readDir("/sys/class/iscsi_session")).toEqual(["session1", "session2", "session3"]);
    expect(fs.readLink("/dev/disk/by-path/ip-10.99.0.12:3260-iscsi-iqn.2024-01.lab.pmslab:node2.data-lun-1")).toBe("../../sdb");
    expect(fs.realPath("/dev/disk/by-path/ip-10.99.0.12:3260-iscsi-iqn.2024-01.lab.pmslab:node2.data-lun-1")).toBe("/dev/sdb");
    expect(fs.realPath("/sys/block/sdb")).toBe("/sys/devices/platform/host1/session2/target1:0:0/1:0:0:1/block/sdb");
  });
});
