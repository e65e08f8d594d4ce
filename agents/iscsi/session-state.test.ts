import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { readIscsiSessions } from "./session-state.js";

const spike = (state: string) => captureHostFs(fixture("spike-2026-11-24", state));

describe("readIscsiSessions on captured states", () => {
  it("healthy: three logged-in sessions, each with its portal and disk", () => {
    const s = readIscsiSessions(spike("raid1-healthy"));
    expect(s.map((x) => [x.sid, x.state, x.portal?.address, x.disks])).toEqual([
      [1, "LOGGED_IN", "10.99.0.13", ["sda"]],
      [2, "LOGGED_IN", "10.99.0.12", ["sdb"]],
      [3, "LOGGED_IN", "10.99.0.11", ["sdc"]],
    ]);
    expect(s[1]).toMatchObject({ target: "iqn.2024-01.lab.pmslab:node2.data", recoveryTimeoutS: 5, connectionState: "up" });
  });

  it("member node power-killed: its session is FREE and its connection failed", () => {
    const s = readIscsiSessions(spike("raid1-member-faulty"));
    expect(s.find((x) => x.target.endsWith("node2.data"))).toMatchObject({ state: "FREE", connectionState: "failed", disks: ["sdb"] });
  });

  it("no initiator sessions on a target-only node", () => {
    expect(readIscsiSessions(spike("boot-autoassembled"))).toEqual([]);
  });
});
