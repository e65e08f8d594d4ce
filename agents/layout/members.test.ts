import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { checkMemberPath, parseByPathName, targetEntry } from "./members.js";

describe("member paths", () => {
  it("parses udev's by-path names of iSCSI LUNs (IPv4 and IPv6) into the raid agent's targets entry", () => {
    const v4 = parseByPathName("ip-10.99.1.11:3260-iscsi-iqn.2026-11.lab.pmsapp:node1.disk-lun-1");
    expect(v4).toEqual({ address: "10.99.1.11", port: 3260, iqn: "iqn.2026-11.lab.pmsapp:node1.disk", lun: 1 });
    expect(targetEntry(v4!)).toBe("iqn.2026-11.lab.pmsapp:node1.disk@10.99.1.11:3260");
    const v6 = parseByPathName("ip-[fd00::12]:3260-iscsi-iqn.2026-11.lab.pmsapp:node2.disk-lun-0");
    expect(v6 && targetEntry(v6)).toBe("iqn.2026-11.lab.pmsapp:node2.disk@[fd00::12]:3260");
    expect(parseByPathName("pci-0000:00:03.0")).toBeUndefined();
    expect(parseByPathName("ip-10.99.1.11:3260-iscsi-iqn.2026-11.x;reboot-lun-1")).toBeUndefined();
  });

  it("accepts only a logged-in session's disk that no array holds (real lab host)", () => {
    const fs = captureHostFs(fixture("lab", "healthy"));
    const node3 = checkMemberPath(fs, "/dev/disk/by-path/ip-10.99.1.13:3260-iscsi-iqn.2026-11.lab.pmsapp:node3.disk-lun-1");
    expect(node3).toMatchObject({ ok: true, disk: "sdc", sizeBytes: undefined });
    expect(checkMemberPath(fs, "/dev/disk/by-path/ip-10.99.1.11:3260-iscsi-iqn.2026-11.lab.pmsapp:node1.disk-lun-1")).toMatchObject({ ok: false, reason: expect.stringContaining("held by /dev/md127") });
    expect(checkMemberPath(fs, "/dev/disk/by-path/ip-10.99.1.14:3260-iscsi-iqn.2026-11.lab.pmsapp:node4.disk-lun-1")).toMatchObject({ ok: false, reason: expect.stringContaining("does not exist: log in") });
    expect(checkMemberPath(fs, "/dev/sdc")).toMatchObject({ ok: false, reason: expect.stringContaining("kernel disk name") });
  });

  it("a by-path name whose disk is not that target's session disk is refused (IQN spoofed in the name)", () => {
    const fs = captureHostFs(fixture("lab", "healthy"));
    const wrongPortal = checkMemberPath(fs, "/dev/disk/by-path/ip-10.99.1.12:3260-iscsi-iqn.2026-11.lab.pmsapp:node3.disk-lun-1");
    expect(wrongPortal.ok).toBe(false);
  });
});
