import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "./main.js";

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pmsapp-target-main-"));
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.PMSAPP_TARGET_CONF;
});

const withConf = (text: string): void => {
  const f = join(dir, "target.conf");
  writeFileSync(f, text);
  process.env.PMSAPP_TARGET_CONF = f;
};

const BAD_IQN = [
  "backing_device = /dev/disk/by-path/virtio-pci-0000:00:03.0",
  'iqn = "iqn.2024-01.lab.pmslab:node1;rm -rf /"',
  "cluster_iscsi_addresses = 10.99.0.11",
  "managed_uuid = fe26dedf:8930648b:a5a71d3f:48409ac0",
].join("\n");

describe("pmsapp-target command line", () => {
  it("unknown action: exit 2 with the usage (status-like actions excepted)", async () => {
    expect(await main(["reload"])).toBe(2);
    expect(err).toContain("usage: pmsapp-target start | stop [--force] | status | check-config");
    expect(await main(["start", "--force"])).toBe(2);
  });

  it("an IQN with shell characters: start exits 6, says why, and never gets as far as running anything", async () => {
    withConf(BAD_IQN);
    expect(await main(["start"])).toBe(6);
    expect(err).toContain("nothing exported, nothing changed");
    expect(err).toContain("iqn 'iqn.2024-01.lab.pmslab:node1;rm -rf /' is not a valid iSCSI name");
  });

  it("status with a bad config is LSB 4 (unknown); check-config is 6 with a one-line verdict", async () => {
    withConf(BAD_IQN);
    expect(await main(["status"])).toBe(4);
    expect(await main(["check-config"])).toBe(6);
    expect(out).toMatch(/^invalid: 1 problem\(s\) in /);
  });

  it("a missing config file is 'not configured'", async () => {
    process.env.PMSAPP_TARGET_CONF = join(dir, "absent.conf");
    expect(await main(["stop"])).toBe(6);
    expect(err).toContain("cannot read");
  });
});
